// Content detectors for Amanda tapes.  Amanda begins every tape file with
// one header block (32 KiB by default) of text, NUL-padded, whose first line
// says what the file is (Amanda's common-src/fileheader.c):
//   AMANDA: TAPESTART DATE <datestamp> TAPE <label>
//   AMANDA: TAPEEND DATE <datestamp>
//   AMANDA: FILE <datestamp> <host> <disk> lev <n> comp <suffix|N> program <prog> ...
//     (<prog>: /bin/tar for GNU tar in Amanda 3, GNUTAR before, APPLICATION)
//   AMANDA: SPLIT_FILE <datestamp> <host> <disk> part <k>/<total|-1> lev <n> comp ...
//   AMANDA: CONT_FILE ... (the same fields as FILE)
// (<disk> may be double-quoted with backslash escapes), then lines such as
// APPLICATION=amgtar and the restore recipe.  The dump image follows in
// the next records.
//
// Two rows: "amanda-tar", a dump whose image is an uncompressed,
// unencrypted GNU tar archive that starts here (FILE, or part 1 of a split
// dump), read for its members like any tar, with data offsets counted from
// the tape file's start (past the header), so saved/ and restore serve
// them; and "amanda", every other Amanda header: the tape label (the
// volume's label volser, as a VOL1's), TAPEEND, compressed or encrypted
// dumps, later parts, described by one member and not read further.
#include <cstring>
#include <optional>
#include <string_view>

#include "index/content_detector.h"
#include "index/tar_parser.h"

namespace vtape {
namespace {

constexpr std::string_view kMagic = "AMANDA: ";

struct AmandaHeader {
  std::string type;  // TAPESTART, TAPEEND, FILE, SPLIT_FILE, CONT_FILE, ...
  std::string date;
  std::string label;  // TAPESTART
  std::string host, disk;
  int part = 0;  // SPLIT_FILE
  int level = -1;
  std::string compression;  // "N" for none
  std::string program;      // GNUTAR, DUMP, APPLICATION, ...
  std::string application;  // APPLICATION= line
  bool encrypted = false;
};

// Splits the header's first line into words; a word that begins with '"'
// runs to the closing quote, with \" and \\ unescaped.
class Words {
 public:
  explicit Words(std::string_view line) : line_(line) {}
  std::optional<std::string> next() {
    while (pos_ < line_.size() && line_[pos_] == ' ') ++pos_;
    if (pos_ >= line_.size()) return std::nullopt;
    std::string word;
    if (line_[pos_] != '"') {
      size_t end = line_.find(' ', pos_);
      if (end == std::string_view::npos) end = line_.size();
      word = line_.substr(pos_, end - pos_);
      pos_ = end;
      return word;
    }
    for (++pos_; pos_ < line_.size(); ++pos_) {
      char c = line_[pos_];
      if (c == '"') {
        ++pos_;
        return word;
      }
      if (c == '\\' && pos_ + 1 < line_.size()) c = line_[++pos_];
      word += c;
    }
    return std::nullopt;  // no closing quote: not a header we understand
  }
  bool expect(std::string_view w) {
    auto got = next();
    return got && *got == w;
  }

 private:
  std::string_view line_;
  size_t pos_ = 0;
};

std::optional<int> to_int(const std::optional<std::string>& s) {
  if (!s || s->empty() || s->size() > 9) return std::nullopt;
  int v = 0;
  size_t i = (*s)[0] == '-' ? 1 : 0;
  if (i == s->size()) return std::nullopt;
  for (; i < s->size(); ++i) {
    if ((*s)[i] < '0' || (*s)[i] > '9') return std::nullopt;
    v = v * 10 + ((*s)[i] - '0');
  }
  return (*s)[0] == '-' ? -v : v;
}

bool parse_dump_fields(Words& w, AmandaHeader& h) {
  auto date = w.next(), host = w.next(), disk = w.next();
  if (!date || !host || !disk) return false;
  h.date = *date;
  h.host = *host;
  h.disk = *disk;
  if (h.type == "SPLIT_FILE") {
    auto part = w.next();  // "part", then "k/total"
    auto numbers = w.next();
    if (!part || *part != "part" || !numbers) return false;
    auto k = to_int(numbers->substr(0, numbers->find('/')));
    if (!k) return false;
    h.part = *k;
  }
  if (!w.expect("lev")) return false;
  auto level = to_int(w.next());
  if (!level || !w.expect("comp")) return false;
  h.level = *level;
  auto comp = w.next();
  if (!comp) return false;
  h.compression = *comp;
  for (auto word = w.next(); word; word = w.next()) {
    auto value = w.next();
    if (!value) break;
    if (*word == "program") h.program = *value;
    if (*word == "crypt" && *value != "N") h.encrypted = true;
  }
  return true;
}

std::optional<AmandaHeader> parse_amanda_header(std::span<const uint8_t> record) {
  std::string_view text(reinterpret_cast<const char*>(record.data()), record.size());
  if (text.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  text = text.substr(0, text.find('\0'));
  size_t eol = text.find('\n');
  Words w(text.substr(kMagic.size(), eol == std::string_view::npos ? std::string_view::npos : eol - kMagic.size()));
  AmandaHeader h;
  auto type = w.next();
  if (!type) return std::nullopt;
  h.type = *type;
  if (h.type == "TAPESTART") {
    if (!w.expect("DATE")) return std::nullopt;
    auto date = w.next();
    if (!date || !w.expect("TAPE")) return std::nullopt;
    auto label = w.next();
    if (!label) return std::nullopt;
    h.date = *date;
    h.label = *label;
  } else if (h.type == "FILE" || h.type == "SPLIT_FILE" || h.type == "CONT_FILE") {
    if (!parse_dump_fields(w, h)) return std::nullopt;
  } else if (h.type == "TAPEEND") {
    if (w.expect("DATE")) h.date = w.next().value_or("");
  } else if (h.type != "NOOP") {
    return std::nullopt;
  }
  constexpr std::string_view kApplication = "\nAPPLICATION=";
  if (size_t at = text.find(kApplication); at != std::string_view::npos) {
    std::string_view rest = text.substr(at + kApplication.size());
    h.application = rest.substr(0, rest.find('\n'));
  }
  return h;
}

// Whether the dump image after this header is a whole tar archive from its
// start, as it was read: GNU tar (the GNUTAR program or the amgtar
// application), neither compressed nor encrypted, a first or only part.
bool is_tar_dump(const AmandaHeader& h) {
  bool starts_here = h.type == "FILE" || (h.type == "SPLIT_FILE" && h.part == 1);
  // Amanda 3 names the program by its path (program /bin/tar); older ones
  // by its dumptype name (GNUTAR); an application by its APPLICATION= line.
  std::string_view program = h.program;
  std::string_view base = program.substr(program.rfind('/') + 1);
  bool gnutar = program == "GNUTAR" || (program.find('/') != std::string_view::npos && (base == "tar" || base == "gtar")) ||
                (program == "APPLICATION" && h.application == "amgtar");
  return starts_here && gnutar && h.compression == "N" && !h.encrypted;
}

std::string dump_name(const AmandaHeader& h) {
  std::string name = h.host + ":" + h.disk + " level " + std::to_string(h.level);
  if (h.type == "SPLIT_FILE") name += " part " + std::to_string(h.part);
  return name;
}

// "amanda": the header alone.
class AmandaHeaderReader : public ContentReader {
 public:
  void add_record(std::span<const uint8_t> record) override {
    if (seen_) return;
    seen_ = true;
    header_ = parse_amanda_header(record);
  }
  bool wants_more() const override { return !seen_; }
  void finish(TapeFileAnalysis& out) override {
    if (!header_) return;
    if (header_->type == "TAPESTART") {
      out.label_volser = header_->label;
      out.members.push_back(TapeMember{"amanda-label", header_->label, 0, 0, 0, 0, ""});
    } else if (header_->type == "TAPEEND") {
      out.members.push_back(TapeMember{"amanda-tapeend", header_->date, 0, 0, 0, 0, ""});
    } else if (header_->level >= 0) {
      out.members.push_back(TapeMember{"amanda-dump", dump_name(*header_), 0, 0, 0, 0, ""});
    }
  }

 private:
  bool seen_ = false;
  std::optional<AmandaHeader> header_;
};

// "amanda-tar": the records after the header are a tar archive whose data
// offsets are counted from the tape file's first byte.
class AmandaTarReader : public ContentReader {
 public:
  void add_record(std::span<const uint8_t> record) override {
    if (header_size_ == 0) {
      header_size_ = record.size();
      return;
    }
    if (!tar_.done()) tar_.feed(record);
  }
  bool wants_more() const override { return header_size_ == 0 || !tar_.done(); }
  void finish(TapeFileAnalysis& out) override {
    tar_.finish();
    size_t first = out.members.size();
    for (TapeMember& m : tar_.members()) out.members.push_back(std::move(m));
    shift(out.members, first);
    out.damage = tar_.damage();
  }
  void take_members(std::vector<TapeMember>* out) override {
    size_t first = out->size();
    tar_.take_members(out);
    shift(*out, first);
  }

 private:
  void shift(std::vector<TapeMember>& members, size_t from) const {
    for (size_t i = from; i < members.size(); ++i) members[i].data_offset += header_size_;
  }

  uint64_t header_size_ = 0;
  TarParser tar_;
};

}  // namespace

ContentDetector amanda_tar_detector() {
  return ContentDetector{
      "amanda-tar",
      [](std::span<const uint8_t> first) {
        auto h = parse_amanda_header(first);
        return h && is_tar_dump(*h);
      },
      [] { return std::make_unique<AmandaTarReader>(); },
      /*members_have_data=*/true
  };
}

ContentDetector amanda_detector() {
  return ContentDetector{
      "amanda",
      [](std::span<const uint8_t> first) { return parse_amanda_header(first).has_value(); },
      [] { return std::make_unique<AmandaHeaderReader>(); }
  };
}

}  // namespace vtape
