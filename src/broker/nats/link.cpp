#include "broker/nats/link.hpp"

#include <algorithm>
#include <random>

namespace sluice::broker::nats {

std::vector<std::string> server_urls(std::string_view url_list) {
  std::vector<std::string> out;
  while (!url_list.empty()) {
    auto comma = url_list.find(',');
    auto item = url_list.substr(0, comma);
    url_list = comma == std::string_view::npos ? std::string_view() : url_list.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

result<std::unique_ptr<link>> link::open(const link_options& options) {
  std::unique_ptr<link> l(new link(options));
  natsOptions* raw = nullptr;
  if (natsOptions_Create(&raw) != NATS_OK) return errc::unavailable;
  l->opts_.reset(raw);
  // natsOptions_SetURL takes exactly one URL: a comma-separated list given to
  // it is one malformed address, and the connection never comes up (the
  // scale drill's 3-node broker.url timed out declaring its streams). A list
  // goes to natsOptions_SetServers, as natsConnection_ConnectTo does.
  auto urls = server_urls(options.url);
  if (urls.empty()) return errc::unavailable;
  std::vector<const char*> servers;
  servers.reserve(urls.size());
  for (const auto& u : urls) servers.push_back(u.c_str());
  natsStatus s = urls.size() == 1 ? natsOptions_SetURL(raw, servers[0])
                                  : natsOptions_SetServers(raw, servers.data(),
                                                           static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(raw, "sluice");
  if (s == NATS_OK) s = natsOptions_SetTimeout(raw, 2000);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(raw, 5000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(raw, 2);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(raw, -1);
  if (s == NATS_OK) s = natsOptions_SetCustomReconnectDelay(raw, &link::reconnect_delay, l.get());
  // One byte: anything published while reconnecting fails at once instead of
  // waiting in a buffer for a server that may never take it.
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(raw, 1);
  if (s == NATS_OK)
    s = natsOptions_SetRetryOnFailedConnect(raw, true, &link::on_connected, l.get());
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(raw, &link::on_disconnected, l.get());
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(raw, &link::on_connected, l.get());
  if (s == NATS_OK) s = natsOptions_SetClosedCB(raw, &link::on_closed, l.get());
  if (s != NATS_OK) return errc::unavailable;

  natsConnection* conn = nullptr;
  s = natsConnection_Connect(&conn, raw);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) return errc::unavailable;
  l->conn_.reset(conn);
  l->set_connected(natsConnection_Status(conn) == NATS_CONN_STATUS_CONNECTED);

  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = options.request_timeout.count();
  jsCtx* js = nullptr;
  if (natsConnection_JetStream(&js, conn, &jo) != NATS_OK) {
    l->close();
    return errc::unavailable;
  }
  l->js_.reset(js);
  return l;
}

link::~link() {
  close();
}

bool link::wait_connected(std::chrono::milliseconds limit) {
  if (connected()) return true;
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [this] { return connected() || closed_; }) && connected();
}

void link::on_disconnect(std::function<void()> listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
}

void link::close() {
  {
    std::lock_guard lock(mu_);
    if (close_started_) return;
    close_started_ = true;
  }
  js_.reset();
  if (conn_) {
    natsConnection_Close(conn_.get());
    // The closed callback is libnats' last one for this connection: after it
    // no callback can reach `this`.
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [this] { return closed_; });
  }
  conn_.reset();
  opts_.reset();
  set_connected(false);
}

void link::set_connected(bool up) {
  {
    std::lock_guard lock(mu_);
    connected_.store(up, std::memory_order_release);
  }
  cv_.notify_all();
}

void link::on_connected(natsConnection*, void* closure) {
  static_cast<link*>(closure)->set_connected(true);
}

void link::on_disconnected(natsConnection*, void* closure) {
  auto* self = static_cast<link*>(closure);
  self->set_connected(false);
  std::function<void()> listener;
  {
    std::lock_guard lock(self->mu_);
    listener = self->listener_;
  }
  if (listener) listener();
}

void link::on_closed(natsConnection*, void* closure) {
  auto* self = static_cast<link*>(closure);
  // Notified under the lock: close() returns (and ~link destroys cv_) as soon
  // as it sees closed_, so a notify after the unlock could touch a destroyed
  // condition variable (ThreadSanitizer reported it in broker_contract_test).
  std::lock_guard lock(self->mu_);
  self->closed_ = true;
  self->connected_.store(false, std::memory_order_release);
  self->cv_.notify_all();
}

int64_t link::reconnect_delay(natsConnection*, int attempts, void* closure) {
  const auto& o = static_cast<link*>(closure)->options_;
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::int64_t base = o.reconnect_min.count();
  for (int i = 1; i < attempts && base < o.reconnect_max.count(); ++i) base *= 2;
  base = std::min<std::int64_t>(base, o.reconnect_max.count());
  std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(1, base / 4));
  return base + jitter(rng);
}

}  // namespace sluice::broker::nats
