// CPU time of one password hash in wasm, per profile, measured in V8 (the engine of workerd).
import { readFileSync } from "node:fs";

const bytes = readFileSync(process.argv[2]);
const { instance } = await WebAssembly.instantiate(bytes, {});
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
