// What the checkpoint writer and reader share (checkpoint.hpp has the layout): the user block, the checksum
// and the HDF5 types of state entries. Internal to core/src.
#pragma once
#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "keepsim/core/h5file.hpp"
#include "keepsim/core/state.hpp"

namespace keepsim::ckpt {

constexpr std::size_t kUserBlock = 512;
constexpr char kMagic[] = "keepsim checkpoint\n";

inline std::string current_source() {
  return std::string("keepsim ") + KEEPSIM_VERSION;
}

// ---- the checksum over everything after the user block ----

constexpr std::uint64_t kFnvBasis = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

/// FNV-1a 64 of the bytes of `fd` from `offset` to its end; false on a read error.
inline bool checksum_fd(int fd, off_t offset, std::uint64_t& hash) {
  std::vector<unsigned char> buf(1 << 20);
  std::uint64_t h = kFnvBasis;
  for (off_t at = offset;;) {
    const ssize_t got = pread(fd, buf.data(), buf.size(), at);
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (got == 0) break;
    for (ssize_t i = 0; i < got; ++i) h = (h ^ buf[static_cast<std::size_t>(i)]) * kFnvPrime;
    at += got;
  }
  hash = h;
  return true;
}

inline std::string errno_text() {
  return std::strerror(errno);
}

// ---- HDF5 types of state entries ----

inline hid_t file_type(ElemType t) {
  switch (t) {
    case ElemType::I8:
      return H5T_STD_I8LE;
    case ElemType::U8:
      return H5T_STD_U8LE;
    case ElemType::I16:
      return H5T_STD_I16LE;
    case ElemType::U16:
      return H5T_STD_U16LE;
    case ElemType::I32:
      return H5T_STD_I32LE;
    case ElemType::U32:
      return H5T_STD_U32LE;
    case ElemType::I64:
      return H5T_STD_I64LE;
    case ElemType::U64:
      return H5T_STD_U64LE;
    case ElemType::F32:
      return H5T_IEEE_F32LE;
    case ElemType::F64:
      return H5T_IEEE_F64LE;
  }
  throw std::logic_error("unknown ElemType");
}

inline hid_t native_type(ElemType t) {
  switch (t) {
    case ElemType::I8:
      return H5T_NATIVE_INT8;
    case ElemType::U8:
      return H5T_NATIVE_UINT8;
    case ElemType::I16:
      return H5T_NATIVE_INT16;
    case ElemType::U16:
      return H5T_NATIVE_UINT16;
    case ElemType::I32:
      return H5T_NATIVE_INT32;
    case ElemType::U32:
      return H5T_NATIVE_UINT32;
    case ElemType::I64:
      return H5T_NATIVE_INT64;
    case ElemType::U64:
      return H5T_NATIVE_UINT64;
    case ElemType::F32:
      return H5T_NATIVE_FLOAT;
    case ElemType::F64:
      return H5T_NATIVE_DOUBLE;
  }
  throw std::logic_error("unknown ElemType");
}

inline ElemType map_elem(DType t) {
  switch (t) {
    case DType::UInt8:
      return ElemType::U8;
    case DType::Int32:
      return ElemType::I32;
    case DType::Float32:
      return ElemType::F32;
    case DType::Int64:
      return ElemType::I64;
    case DType::Float64:
      return ElemType::F64;
  }
  throw std::logic_error("unknown DType");
}

}  // namespace keepsim::ckpt
