#!/usr/bin/env node
// scripts/ort-run.js - run an ONNX model with onnxruntime-node (the
// independent reference for scripts/ort-crosscheck.sh and
// scripts/bench-onnxref.sh).
//
//   node scripts/ort-run.js MODEL.onnx OUTDIR THREADS NAME=FILE.npy...
//
// ORT_REPEAT=N (default 1) runs the session N times; run_ms is the median.
// Inputs are .npy files (float32, float64, int64, int32, uint8, int8, bool),
// bound to graph inputs by NAME (or by position when NAME is "#0", "#1"...).
// Each output is written to OUTDIR/<index>.npy (float32 etc. as produced).
// Prints one JSON line: {"load_ms":..,"run_ms":..,"outputs":[names]}.
// onnxruntime-node is loaded from $ORT_NODE_DIR/node_modules (the scripts
// install it there with `npm install onnxruntime-node`).
'use strict';
const fs = require('fs');
const path = require('path');

const ortDir = process.env.ORT_NODE_DIR;
if (!ortDir) {
  console.error('ort-run: set ORT_NODE_DIR to the folder holding node_modules/onnxruntime-node');
  process.exit(2);
}
const ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));

const NPY_TYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array],
  '|u1': ['uint8', Uint8Array], '|i1': ['int8', Int8Array], '|b1': ['bool', Uint8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order unsupported`);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
  const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const t = NPY_TYPES[descr];
  if (!t) throw new Error(`${file}: dtype ${descr} unsupported`);
  const off = hstart + hlen;
  const bytes = buf.subarray(off);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  let data = new t[1](copy.buffer, 0, bytes.length / t[1].BYTES_PER_ELEMENT);
  if (t[0] === 'bool') data = Uint8Array.from(data);
  return new ort.Tensor(t[0], data, dims);
}

function writeNpy(file, tensor) {
  const map = { float32: '<f4', float64: '<f8', int64: '<i8', int32: '<i4', uint8: '|u1',
    int8: '|i1', bool: '|b1' };
  const descr = map[tensor.type];
  if (!descr) throw new Error(`output type ${tensor.type} unsupported`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const d = tensor.data;
  const body = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

async function main() {
  const [model, outdir, threadsText, ...specs] = process.argv.slice(2);
  if (!model || !outdir || !threadsText) {
    console.error('usage: ort-run.js MODEL.onnx OUTDIR THREADS NAME=FILE.npy...');
    process.exit(2);
  }
  const threads = Number(threadsText);
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const t1 = process.hrtime.bigint();
  const feeds = {};
  specs.forEach((spec) => {
    const eq = spec.indexOf('=');
    let name = spec.slice(0, eq);
    if (name.startsWith('#')) name = session.inputNames[Number(name.slice(1))];
    feeds[name] = readNpy(spec.slice(eq + 1));
  });
  const repeat = Math.max(1, Number(process.env.ORT_REPEAT || 1));
  const times = [];
  let results;
  for (let r = 0; r < repeat; r += 1) {
    const t2 = process.hrtime.bigint();
    results = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t2) / 1e6);
  }
  times.sort((a, b) => a - b);
  fs.mkdirSync(outdir, { recursive: true });
  session.outputNames.forEach((name, i) => writeNpy(path.join(outdir, `${i}.npy`), results[name]));
  console.log(JSON.stringify({
    load_ms: Number(t1 - t0) / 1e6, run_ms: times[Math.floor(repeat / 2)],
    outputs: session.outputNames,
  }));
}

main().catch((err) => { console.error(`ort-run: ${err.message}`); process.exit(1); });
