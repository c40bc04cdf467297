#include "store/store.hpp"

namespace sluice::store {

std::string_view to_string(dead_letter_state s) {
  switch (s) {
    case dead_letter_state::dead:
      return "dead";
    case dead_letter_state::redriven:
      return "redriven";
    case dead_letter_state::discarded:
      return "discarded";
  }
  return "dead";
}

}  // namespace sluice::store
