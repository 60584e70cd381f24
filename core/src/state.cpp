#include "keepsim/core/state.hpp"

namespace keepsim {

std::size_t elem_size(ElemType t) {
  switch (t) {
    case ElemType::I8:
    case ElemType::U8:
      return 1;
    case ElemType::I16:
    case ElemType::U16:
      return 2;
    case ElemType::I32:
    case ElemType::U32:
    case ElemType::F32:
      return 4;
    case ElemType::I64:
    case ElemType::U64:
    case ElemType::F64:
      return 8;
  }
  throw std::logic_error("unknown ElemType");
}

const char* elem_name(ElemType t) {
  switch (t) {
    case ElemType::I8:
      return "int8";
    case ElemType::U8:
      return "uint8";
    case ElemType::I16:
      return "int16";
    case ElemType::U16:
      return "uint16";
    case ElemType::I32:
      return "int32";
    case ElemType::U32:
      return "uint32";
    case ElemType::I64:
      return "int64";
    case ElemType::U64:
      return "uint64";
    case ElemType::F32:
      return "float32";
    case ElemType::F64:
      return "float64";
  }
  return "unknown";
}

void StateWriter::add(const std::string& name, StateEntry e) {
  if (name.empty() || name.find('/') != std::string::npos)
    throw std::logic_error("StateWriter: invalid entry name '" + name + "'");
  if (!entries_.emplace(name, std::move(e)).second)
    throw std::logic_error("StateWriter: entry '" + name + "' written twice");
}

void StateReader::fail(const std::string& message) const {
  throw CheckpointError(where_ + ": " + message);
}

const StateEntry& StateReader::find(const std::string& name, ElemType type) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) fail("the model state has no entry '" + name + "'");
  if (it->second.type != type)
    fail("entry '" + name + "' holds " + elem_name(it->second.type) + ", not " + elem_name(type));
  return it->second;
}

void StateReader::bad_length(const std::string& name, std::size_t have, std::size_t want) const {
  fail("entry '" + name + "' has " + std::to_string(have) + " values, expected " + std::to_string(want));
}

}  // namespace keepsim
