#!/usr/bin/env node
// deploy/schema/check.js — validates rendered Kubernetes objects against their API schemas,
// offline (docs/decisions/0047-offline-schema-validation.md).
//
//   node deploy/schema/check.js OBJECTS.json
//
// OBJECTS.json is a JSON array of {"source": "...", "object": {...}} (scripts/lib/
// validate_deploy.py writes it from `kubectl kustomize`). Each object is checked twice:
//   1. the JSON schema of its kind (kubernetes-models' compiled OpenAPI validators: types,
//      required fields, enums, formats), where a model exists;
//   2. strictly, as TypeScript does an object literal against the kind's interface: an unknown
//      field at any depth is an error (the schemas themselves allow extra fields; the API
//      server's strict field validation does not).
// Kinds: the core API (kubernetes-models), the prometheus-operator and CloudNativePG CRDs
// (their published models), RabbitMQ's operators (rabbitmq.d.ts, written from their CRDs).
// An object of any other kind fails. Prints one line per failure and a summary line
// "schema: N objects, N failed"; exits 1 when anything failed.
"use strict";

const fs = require("fs");
const path = require("path");
const ts = require("typescript");

// apiVersion group -> module prefix of its models.
const GROUPS = [
  [/^(v1|(apps|batch|policy|autoscaling|networking\.k8s\.io|rbac\.authorization\.k8s\.io)\/v\d\w*)$/,
   (apiVersion, kind) => `kubernetes-models/${apiVersion}/${kind}`],
  [/^monitoring\.coreos\.com\/v1$/,
   (apiVersion, kind) => `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`],
  [/^postgresql\.cnpg\.io\/v1$/,
   (apiVersion, kind) => `@kubernetes-models/cloudnative-pg/${apiVersion}/${kind}`],
  [/^rabbitmq\.com\/v1beta1$/, () => "./rabbitmq"],
];

function moduleFor(apiVersion, kind) {
  for (const [pattern, to] of GROUPS) {
    if (pattern.test(apiVersion)) return to(apiVersion, kind);
  }
  return null;
}

function label(entry) {
  const o = entry.object || {};
  return `${entry.source} ${o.kind}/${(o.metadata || {}).name}`;
}

async function main() {
  const input = process.argv[2];
  if (!input) {
    console.error("usage: check.js OBJECTS.json");
    return 2;
  }
  const entries = JSON.parse(fs.readFileSync(input, "utf8"));
  const failures = new Map();  // index -> [message]
  const fail = (i, message) => {
    if (!failures.has(i)) failures.set(i, []);
    failures.get(i).push(message);
  };

  // 1. JSON schema (ajv) per object.
  const lines = [];
  for (const [i, entry] of entries.entries()) {
    const o = entry.object || {};
    const mod = moduleFor(o.apiVersion || "", o.kind || "");
    if (!mod) {
      fail(i, `no schema known for ${o.apiVersion} ${o.kind}`);
      lines.push("");
      continue;
    }
    if (!mod.startsWith("./")) {
      let Model;
      try {
        Model = (await import(mod))[o.kind];  // the models are ES modules
      } catch (e) {
        Model = undefined;
      }
      if (!Model) {
        fail(i, `no model ${o.kind} in ${mod}`);
        lines.push("");
        continue;
      }
      try {
        new Model(o).validate();
      } catch (e) {
        fail(i, `schema: ${e.message}`);
      }
    }
    // 2. One typed constant per line, so a diagnostic's line names its object.
    lines.push(`const o${i}: import(${JSON.stringify(mod)}).I${o.kind} = ${JSON.stringify(o)};`);
  }

  // 2. Strict field check with the TypeScript compiler, in memory.
  const file = path.join(__dirname, "__rendered_manifests__.ts");
  const text = lines.join("\n") + "\nexport {};\n";
  const options = {
    noEmit: true,
    strict: false,  // null (kustomize's creationTimestamp: null) is fine; excess fields are not
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,  // resolves the models' "exports" maps
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (name, languageVersion, ...rest) =>
    path.resolve(name) === file ? ts.createSourceFile(name, text, languageVersion, true)
                                : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists;
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
    if (d.file && path.resolve(d.file.fileName) === file && d.start !== undefined) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      fail(line, `fields: ${message}`);
    } else {
      fail(-1, `typescript: ${message}`);
    }
  }

  for (const [i, messages] of [...failures.entries()].sort((a, b) => a[0] - b[0])) {
    const where = i >= 0 && i < entries.length ? label(entries[i]) : "deploy/schema";
    for (const m of messages) console.log(`FAIL ${where}: ${m}`);
  }
  const failed = [...failures.keys()].length;
  console.log(`schema: ${entries.length} objects, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  console.error(e);
  process.exitCode = 2;
});
