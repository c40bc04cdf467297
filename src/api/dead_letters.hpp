#pragma once
// The dead-letter endpoints (scope admin; router.cpp's table). See
// dead_letters.cpp for what each does.

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <string_view>

#include "api/context.hpp"
#include "api/handlers.hpp"
#include "http/message.hpp"

namespace sluice::api {

// GET /v1/dead-letters?limit= (and the bulk redrive's): default and maximum.
constexpr std::size_t dead_letter_default_limit = 100;
constexpr std::size_t dead_letter_max_limit = 1000;
// ?reason= (the reason contains this text): at most this many bytes.
constexpr std::size_t dead_letter_max_reason_filter = 200;

awaitable<http::response> list_dead_letters(context& ctx, const http::request& req,
                                            std::string_view query);
awaitable<http::response> get_dead_letter(context& ctx, std::string_view id,
                                          std::string_view query);
awaitable<http::response> redrive_dead_letter(context& ctx, const http::request& req,
                                              std::string_view id, std::string_view query);
awaitable<http::response> redrive_dead_letters(context& ctx, const http::request& req,
                                               std::string_view query);
awaitable<http::response> discard_dead_letter(context& ctx, std::string_view id,
                                              std::string_view query);

}  // namespace sluice::api
