import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { createTestApp } from "../helpers/test-app.js";
import { tableCases } from "./cases.js";
import { requestArb } from "./fuzz-arb.js";
import { formatViolation, Harness, report, type Violation } from "./harness.js";
import { operationsOf } from "./operations.js";
import { FUZZ_RUNS, FUZZ_SEED, prng, seedFor, uuidFrom } from "./seed.js";
import { buildWorld, realFieldValue, realPathValue } from "./world.js";

/**
 * Fuzzes every operation of the served OpenAPI document as one actor, against an in-process app
 * (no sockets) with real objects to point ids at. Per operation: the deterministic table of bad
 * inputs (every case sent, every violation kept), then FUZZ_RUNS seeded random requests whose first
 * violation is shrunk by fast-check. The rule for every answer: status < 500, and every 4xx is JSON
 * with a string `error`.
 */
export async function fuzzOperationsAs(actorName: "board" | "agent") {
  const started = Date.now();
  const app = await createTestApp();
  const world = await buildWorld(app);
  const doc = await app.get("/api/openapi.json");
  const ops = operationsOf(doc.body);
  const harness = new Harness(() => app, actorName === "agent" ? { name: "agent", token: world.agentToken } : { name: "board" });
  console.log(`fuzz lane (${actorName}): FUZZ_SEED=${FUZZ_SEED} FUZZ_RUNS=${FUZZ_RUNS}, ${ops.length} operations`);

  afterAll(async () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const statuses = [...harness.statusCounts]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}:${n}`)
      .join(" ");
    console.log(
      [
        `fuzz lane (${actorName}) done: FUZZ_SEED=${FUZZ_SEED}, ${harness.sent} requests in ${seconds}s, statuses ${statuses}`,
        world.unmapped.size ? `path parameters without a real object (random uuid used): ${[...world.unmapped].join("; ")}` : "",
        harness.violations.length
          ? `${harness.violations.length} violations by root cause:\n${report(harness.violations)}`
          : "no violations",
      ].join("\n"),
    );
    await app.tdb.drop();
  });

  describe(`every OpenAPI operation as the ${actorName}`, () => {
    it("the document lists operations to fuzz", () => {
      expect(ops.length).toBeGreaterThan(50);
    });

    for (const op of ops) {
      it(op.name, { timeout: 180_000 }, async () => {
        const realPath = Object.fromEntries(op.pathParams.map((p) => [p, realPathValue(world, op.method, op.path, p)]));
        const idFor = (field: string) => realFieldValue(world, op.path, field);
        const found: Violation[] = [];

        const rand = prng(seedFor(`${actorName} ${op.name} table`));
        for (const req of tableCases(op, realPath, idFor, uuidFrom(rand))) {
          const v = await harness.send(op.name, req);
          if (v) found.push(v);
        }

        const seed = seedFor(`${actorName} ${op.name} property`);
        const seen = new WeakMap<object, Violation>();
        const result = await fc.check(
          fc.asyncProperty(requestArb(op, realPath, idFor), async (req) => {
            const v = await harness.send(op.name, req, { keep: false });
            if (v) {
              seen.set(req, v);
              throw new Error(formatViolation(v));
            }
          }),
          { seed, numRuns: FUZZ_RUNS, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: false },
        );
        if (result.failed) {
          const counterexample = result.counterexample?.[0] as object | undefined;
          const v = (counterexample && seen.get(counterexample)) ?? {
            operation: op.name,
            actor: actorName,
            label: "property",
            method: op.method,
            path: "?",
            status: 0,
            body: "",
            log: String(result.errorInstance ?? ""),
          };
          const shrunk: Violation = { ...v, label: `property seed=${result.seed} path=${result.counterexamplePath}` };
          harness.violations.push(shrunk);
          found.push(shrunk);
        }

        expect(found.map(formatViolation), `replay with FUZZ_SEED=${FUZZ_SEED} -t "${op.name}"`).toEqual([]);
      });
    }
  });
}
