{
  "meta": {
    "id": "luo_file_ser",
    "title": "struct luo_file_ser of the Live Update Orchestrator ABI (written in YAML's JSON form)",
    "endian": "le"
  },
  "doc": "One preserved file: the handler's compatible string (char[48], NUL-terminated), its opaque data and the user's token. 64 bytes, packed.",
  "seq": [
    { "id": "compatible", "type": "strz", "size": 48, "encoding": "UTF-8" },
    { "id": "data", "type": "u8" },
    { "id": "token", "type": "u8" }
  ]
}
