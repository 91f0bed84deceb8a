#include "index/member_name.h"

namespace vtape {

std::string_view member_name(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string reversed_member_name(std::string_view path) {
  std::string_view name = member_name(path);
  return std::string(name.rbegin(), name.rend());
}

}  // namespace vtape
