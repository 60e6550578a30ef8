import { Harness } from "./tests/live/harness/engine";
import { stackConfig } from "./tests/support/stack-config";
(async () => {
  const h = new Harness();
  const t0 = Date.now();
  try {
    const out = await h.apply(() => { delete require.cache[require.resolve("./index")]; return require("./index"); }, stackConfig("dev"));
    console.log("outputs", JSON.stringify(out, null, 1));
  } catch (e) { console.log("FAILED", (e as Error).message); }
  console.log("took", Date.now() - t0);
  for (const l of h.log) console.log(l.op, l.name, l.ms);
  if (process.argv[2] === "destroy") { await h.destroy(); console.log("destroyed"); }
})();
