#include "tests/tools/simh_content.h"

#include "tests/test_support.h"

namespace vtape::testing {

SimhContent read_simh(const std::string& image, const std::string& data_out) {
  std::string py =
      "import struct,sys\n"
      "d=open(sys.argv[1],'rb').read(); o=open(sys.argv[2],'wb'); p=0; fm=0; sizes=[]\n"
      "while p+4<=len(d):\n"
      "  (n,)=struct.unpack('<I',d[p:p+4]); p+=4\n"
      "  if n==0: fm+=1; continue\n"
      "  if n==0xffffffff: break\n"
      "  n&=0x7fffffff; o.write(d[p:p+n]); sizes.append(n); p+=n+(n&1)+4\n"
      "print(fm); print(' '.join(map(str,sizes)))\n";
  CommandResult r = run_command("python3 -c " + shell_quote(py) + " " + shell_quote(image) + " " + shell_quote(data_out));
  SimhContent c;
  c.data_file = data_out;
  if (r.exit_code != 0) return c;
  size_t nl = r.out.find('\n');
  c.filemarks = std::stoul(r.out.substr(0, nl));
  std::string rest = r.out.substr(nl + 1);
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t end = rest.find_first_of(" \n", pos);
    if (end == std::string::npos) end = rest.size();
    if (end > pos) c.record_sizes.push_back(std::stoul(rest.substr(pos, end - pos)));
    pos = end + 1;
  }
  return c;
}

}  // namespace vtape::testing
