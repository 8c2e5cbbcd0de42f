{
  "meta": {
    "id": "luo_v3_image",
    "title": "The Live Update Orchestrator's luo-v3 handover state in a memory image (written in YAML's JSON form)",
    "endian": "le"
  },
  "doc": "The memory image starts at physical address `base`; `luo_ser_pa` is the physical address of struct luo_ser (the FDT property luo-abi-header). Every pointer is a physical address, 0 for none. All structs are packed.",
  "params": [
    { "id": "base", "type": "u8", "doc": "Physical address of the image's first byte." },
    { "id": "luo_ser_pa", "type": "u8", "doc": "Physical address of struct luo_ser." }
  ],
  "instances": {
    "luo_ser": { "pos": "luo_ser_pa - base", "type": "luo_ser" }
  },
  "types": {
    "luo_ser": {
      "seq": [
        { "id": "liveupdate_num", "type": "u8" },
        { "id": "sessions_pa", "type": "u8", "valid": { "expr": "_ == 0 or (_ >= _root.base and _ - _root.base < _root._io.size)" } },
        { "id": "flbs_pa", "type": "u8", "valid": { "expr": "_ == 0 or (_ >= _root.base and _ - _root.base < _root._io.size)" } }
      ],
      "instances": {
        "sessions": {
          "doc": "The first block of the chain of session blocks.",
          "pos": "sessions_pa - _root.base",
          "type": "session_block",
          "if": "sessions_pa != 0"
        }
      }
    },
    "session_block": {
      "doc": "struct luo_block_header_ser and its entries: LUO_BLOCK_PAGES (2) pages of 4096 bytes, so at most (8192 - 16) / 80 = 102 sessions.",
      "seq": [
        { "id": "next", "type": "u8", "valid": { "expr": "_ == 0 or (_ >= _root.base and _ - _root.base < _root._io.size)" } },
        { "id": "count", "type": "u8", "valid": { "max": 102 } },
        { "id": "entries", "type": "luo_session_ser", "repeat": "expr", "repeat-expr": "count" }
      ],
      "instances": {
        "next_block": { "pos": "next - _root.base", "type": "session_block", "if": "next != 0" }
      }
    },
    "luo_session_ser": {
      "seq": [
        { "id": "name", "type": "strz", "size": 64, "encoding": "UTF-8" },
        { "id": "file_set_ser", "type": "luo_file_set_ser" }
      ]
    },
    "luo_file_set_ser": {
      "doc": "`files` points at an array of `count` struct luo_file_ser in FILE_ARRAY_PAGES (2) pages: at most 8192 / 64 = 128 files.",
      "seq": [
        { "id": "files", "type": "u8", "valid": { "expr": "_ == 0 or (_ >= _root.base and _ - _root.base < _root._io.size)" } },
        { "id": "count", "type": "u8", "valid": { "max": 128 } }
      ],
      "instances": {
        "entries": {
          "pos": "files - _root.base",
          "type": "luo_file_ser",
          "repeat": "expr",
          "repeat-expr": "count",
          "if": "files != 0"
        }
      }
    },
    "luo_file_ser": {
      "seq": [
        { "id": "compatible", "type": "strz", "size": 48, "encoding": "UTF-8" },
        { "id": "data", "type": "u8" },
        { "id": "token", "type": "u8" }
      ]
    }
  }
}
