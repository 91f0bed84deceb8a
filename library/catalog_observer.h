// CatalogObserver: keeps the catalog true while one drive works (see
// DriveObserver).  At load the volume row is put in (it must exist before
// any of its tape files is recorded) and a CatalogRecorder is made for the
// cartridge; the recorder marks the volume write-pending before the first
// change, analyses the records as they pass and commits each tape file at
// its filemark or when writing stops.  Load, unload and damage found at load
// become catalog events.
#pragma once

#include <memory>
#include <string>

#include "index/catalog.h"
#include "index/catalog_recorder.h"
#include "library/drive_observer.h"

namespace vtape {

class CatalogObserver : public DriveObserver {
 public:
  CatalogObserver(Catalog& catalog, int drive) : catalog_(catalog), drive_(drive) {}

  void loaded(const Cartridge& cartridge) override;
  void unloading() override;
  Status changing() override;
  void tape_file_begins(const TapePosition& at) override;
  void record(std::span<const uint8_t> data) override;
  Status filemark(const TapePosition& after, uint64_t image_size) override;
  Status stopped(uint64_t image_size) override;
  Status erased(const TapePosition& at, uint64_t image_size) override;
  void image_replaced(const Cartridge& cartridge, const TapeFileOffsets& file_offsets) override;
  void event(const std::string& kind, const std::string& detail) override;

 private:
  Catalog& catalog_;
  const int drive_;
  std::string volser_;                          // of the loaded cartridge
  std::unique_ptr<CatalogRecorder> recorder_;  // while a cartridge is loaded
};

}  // namespace vtape
