// CPU time of one password hash in wasm, per profile, measured in V8 (the engine of workerd).
import { readFileSync } from "node:fs";

const module = await WebAssembly.compile(readFileSync(process.argv[2]));
// The domain's dependencies import a few wasm-bindgen functions the hasher never calls: each is
// given one that fails loudly if it ever is.
const imports = {};
for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
  if (kind !== "function") throw new Error(`the hasher imports ${from}.${name}, a ${kind}`);
  (imports[from] ??= {})[name] = () => {
    throw new Error(`the hasher called ${from}.${name}`);
  };
}
const instance = await WebAssembly.instantiate(module, imports);
const { hash } = instance.exports;
for (const [id, name] of [[0, "free-plan (argon2id m=8192 t=1 p=1)"], [1, "strong (argon2id m=19456 t=2 p=1, OWASP minimum)"]]) {
  hash(id, 2); // warm up: compile tiers, grow memory
  const n = 20;
  const before = process.cpuUsage();
  const out = hash(id, n);
  const used = process.cpuUsage(before);
  if (out === 0) throw new Error("hash failed");
  const ms = (used.user + used.system) / 1000 / n;
  console.log(`wasm hash   ${name.padEnd(50)} ${ms.toFixed(2)} ms CPU per hash (n=${n})`);
}
