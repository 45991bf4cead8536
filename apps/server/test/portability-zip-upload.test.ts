import fs from "node:fs";
import path from "node:path";
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";

/**
 * A company package uploaded as its zip, the way Paperclip's import routes take it: multipart
 * (`package` file + JSON `meta`) or a bare `application/zip` body with `?meta=`. The package is the
 * real Paperclip 2026.916.1 export of test/fixtures, zipped under a top folder as Paperclip writes it.
 */
const fixture = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "fixtures/paperclip-2026.916.1-company-export.json"), "utf8"));
const t = useTestApp();

function zipOfFixture(): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, content] of Object.entries(fixture.files as Record<string, string | { data: string }>)) {
    entries[`${fixture.rootPath}/${name}`] = typeof content === "string" ? strToU8(content) : Buffer.from(content.data, "base64");
  }
  return zipSync(entries);
}

async function send(pathname: string, body: BodyInit, headers: Record<string, string> = {}) {
  const res = await t.current.app.request(pathname, {
    method: "POST",
    headers: { authorization: `Bearer ${t.current.boardToken}`, ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe("importing a package uploaded as a zip", () => {
  it("multipart: previews and applies the zip with the meta fields, like the JSON form", async () => {
    const zip = zipOfFixture();
    const form = () => {
      const f = new FormData();
      f.append("package", new Blob([zip], { type: "application/zip" }), "company.zip");
      f.append("meta", JSON.stringify({ target: { mode: "new_company", newCompanyName: "Zipped Co" }, source: { ignored: true } }));
      return f;
    };
    const preview = await send("/api/companies/import/preview", form());
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.target.companyName).toBe("Zipped Co");
    const issues = preview.body.create.filter((c: any) => c.kind === "issue").length;
    expect(issues).toBe(fixture.manifest.issues.length);

    const applied = await send("/api/companies/import", form());
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.company.name).toBe("Zipped Co");
    expect(applied.body.agents.length).toBe(fixture.manifest.agents.length);
    expect(applied.body.issues.length).toBe(fixture.manifest.issues.length);
  });

  it("application/zip: the bare zip body, meta in the query, into an existing company", async () => {
    const company = (await t.current.post("/api/companies", { name: "Zip Target" })).body;
    const meta = encodeURIComponent(JSON.stringify({ collisionStrategy: "skip" }));
    const res = await send(`/api/companies/${company.id}/imports/apply?meta=${meta}`, zipOfFixture(), {
      "content-type": "application/zip",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.company.id).toBe(company.id);
    expect(res.body.issues.length).toBe(fixture.manifest.issues.length);
  });

  it("answers a clear 4xx for a corrupt zip, a missing file field and bad meta JSON", async () => {
    const corrupt = await send("/api/companies/import/preview", new Uint8Array([80, 75, 3, 4, 1, 2, 3]), {
      "content-type": "application/zip",
    });
    expect(corrupt.status).toBe(422);
    expect(corrupt.body.error).toMatch(/not a readable zip/);

    const noFile = new FormData();
    noFile.append("meta", "{}");
    const missing = await send("/api/companies/import/preview", noFile);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/"package"/);

    const badMeta = await send("/api/companies/import/preview?meta=%7Bnope", zipOfFixture(), { "content-type": "application/zip" });
    expect(badMeta.status).toBe(400);
    expect(badMeta.body.error).toMatch(/meta/);
  });

  it("refuses a zip that unpacks beyond the limit before inflating it", async () => {
    const big = zipSync({ "COMPANY.md": strToU8("---\nname: Big\n---\n"), "blob.txt": new Uint8Array(51 * 1024 * 1024) });
    const res = await send("/api/companies/import/preview", big, { "content-type": "application/zip" });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/unpacks to more than/);
  });
});
