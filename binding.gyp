{
  "targets": [
    {
      "target_name": "shmkv",
      "sources": ["native/shmkv.cc"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-cast-function-type"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-lpthread", "-lrt"],
      "defines": ["_GNU_SOURCE"]
    }
  ]
}
