/**
 * A large state for the tests and benches that take the real command to its limits, written as a
 * stream so that the writer's memory does not grow with it.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * The luo-v4 state of `sessions` sessions, one in four holding one file, as decode prints it
 * (JSON.stringify's layout, 64-bit integers as strings), written here line by line.
 */
export function writeLargeState(path: string, sessions: number): void {
  const fd = openSync(path, 'w');
  let text = '{\n  "version": "luo-v4",\n  "root": {\n    "compatible": "luo-v4",\n    "properties": {\n      "luo-abi-header": {\n        "liveupdate_num": "41",\n        "sessions_pa": [';
  for (let i = 0; i < sessions; i++) {
    const files =
      i % 4 === 0
        ? `[\n                {\n                  "compatible": "file-${i}",\n                  "data": "${BigInt(i) * 0x1_0000_0001n}",\n                  "token": "${i}"\n                }\n              ]`
        : 'null';
    text += `${i ? ',' : ''}\n          {\n            "name": "session-${i}",\n            "file_set_ser": {\n              "files": ${files},\n              "count": "${i % 4 === 0 ? 1 : 0}"\n            }\n          }`;
    if (text.length > 1 << 20) {
      writeSync(fd, text);
      text = '';
    }
  }
  writeSync(fd, `${text}\n        ],\n        "flbs_pa": null\n      }\n    },\n    "children": {}\n  }\n}\n`);
  closeSync(fd);
}
