{
  "targets": [
    {
      "target_name": "llmk",
      "sources": [
        "<!@(node -e \"const fs=require('fs');const walk=d=>fs.readdirSync(d,{withFileTypes:true}).flatMap(e=>e.isDirectory()?walk(d+'/'+e.name):e.name.endsWith('.cc')?[d+'/'+e.name]:[]);console.log(walk('native/src').join(' '))\")"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/src"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-mtune=native", "-fno-math-errno", "-fopenmp-simd", "-pthread", "-fexceptions"],
      "ldflags": ["-pthread"]
    }
  ]
}
