#pragma once
// The dead-letter endpoints (scope admin; router.cpp's table). See
// dead_letters.cpp for what each does.

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "api/context.hpp"
#include "api/handlers.hpp"
#include "http/message.hpp"

namespace sluice::api {

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
