//===- EmittedFile.h - one file written by an emitter ---------------------===//
//
// Kept apart from the emitters' headers so that each target's header (and
// the driver, which writes the files) needs only this, not another target.
//
//===----------------------------------------------------------------------===//
#ifndef PARE_CODEGEN_EMITTEDFILE_H
#define PARE_CODEGEN_EMITTEDFILE_H

#include <string>

namespace pare::codegen {

struct EmittedFile {
  std::string path; ///< relative to the output directory
  std::string contents;
};

} // namespace pare::codegen

#endif // PARE_CODEGEN_EMITTEDFILE_H
