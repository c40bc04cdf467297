#pragma once
// The one place that names concrete backends: picks the broker, the store and
// the shared page cache from their URLs, through one table per role in
// backends.cpp. A new backend is its folder, its factory header, and one line
// in its role's table (plus its test-server helper and one line in
// tests/support's backend table).

#include <memory>
#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "cache/shared_pages.hpp"
#include "app/url_mask.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

namespace sluice::app {

// Throw config::config_error naming the key when the URL is unusable, or
// std::runtime_error when the backend cannot be opened.
std::unique_ptr<broker::broker> open_broker(const config::config& cfg);
std::unique_ptr<store::store> open_store(const config::config& cfg);
// The shared (second-level) page cache, or nullptr when cache.url is empty.
std::unique_ptr<cache::shared_pages> open_shared_pages(const config::config& cfg);

// The tables the subscriptions write, resource tables first (so that a
// message's status names the resource's own row before a fan-out copy).
std::vector<store::table_def> tables_of(const config::config& cfg);
std::vector<broker::topology> topology_of(const config::config& cfg);

// "sqlite://data/x.db" → "data/x.db"; "sqlite:///var/x.db" → "/var/x.db".
std::string sqlite_path(const std::string& url);


}  // namespace sluice::app
