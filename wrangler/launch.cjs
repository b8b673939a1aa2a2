// Starts wrangler's CLI with a V8 code cache, so each call does not parse and compile its
// 12 MB bundle again: `node launch.cjs <cli.js> ARGS…` behaves as `node <cli.js> ARGS…`.
//
// Every xtask command, test and deploy runs wrangler as a fresh process, hundreds of times
// per test run; parsing the bundle was most of each call's CPU time. The cache (V8's own
// serialized code, made after a first run so lazily compiled functions are in it) lives
// under node_modules/.cache/, keyed by file, size, modification time and Node version;
// V8 itself rejects a cache that does not match, and then a fresh one is written.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

// Small files cost little to compile; caching them would cost more in file reads.
const SMALLEST_CACHED = 100 * 1024;
const CACHE_DIR = path.join(__dirname, 'node_modules', '.cache', 'kbc-v8');

const [, , entry, ...args] = process.argv;
const unwritten = [];

function cacheFile(filename, stats) {
  const key = [filename, stats.size, stats.mtimeMs, process.version, process.arch].join('\0');
  return path.join(CACHE_DIR, `${crypto.createHash('sha256').update(key).digest('hex').slice(0, 32)}.v8`);
}

function compileCached(source, filename) {
  const file = cacheFile(filename, fs.statSync(filename));
  let cachedData;
  try {
    cachedData = fs.readFileSync(file);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), {
    filename,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cachedData === undefined || script.cachedDataRejected) {
    unwritten.push([file, script]);
  }
  return script.runInThisContext({ displayErrors: true });
}

// Written at exit, after the run compiled the functions it needed; a temporary file and a
// rename keep concurrent calls from reading a half-written cache.
process.once('exit', () => {
  for (const [file, script] of unwritten) {
    const temporary = `${file}.${process.pid}`;
    try {
      fs.mkdirSync(CACHE_DIR, { recursive: true });
      fs.writeFileSync(temporary, script.createCachedData());
      fs.renameSync(temporary, file);
    } catch {
      // A cache that cannot be written only costs the next call its speed-up.
      fs.rm(temporary, { force: true }, () => {});
    }
  }
});

// Without the default loader for dynamic import() (Node < 20.12), compile as usual.
if (vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER) {
  const compile = Module.prototype._compile;
  Module.prototype._compile = function compileWithCache(source, filename) {
    if (source.length < SMALLEST_CACHED) {
      return compile.call(this, source, filename);
    }
    const wrapper = compileCached(source, filename);
    const dirname = path.dirname(filename);
    return wrapper.call(this.exports, this.exports, Module.createRequire(filename), this, filename, dirname);
  };
}

const main = path.resolve(entry);
process.argv = [process.argv[0], main, ...args];
Module.runMain(main);
