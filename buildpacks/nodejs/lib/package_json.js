// Answers bin/compile's and bin/release's questions about package.json, so that the buildpack
// needs nothing but node itself (no jq).
//   node package_json.js FILE valid              exits 2 with the parse error on bad JSON
//   node package_json.js FILE has-script NAME    exits 0 when scripts.NAME is a string
//   node package_json.js FILE engine NAME        prints engines.NAME ("" when unset)
//   node package_json.js FILE cache-dirs         prints cacheDirectories (default node_modules)
//   node package_json.js FILE satisfies VERSION RANGE [NPM_ROOT]
//                                                prints yes/no/unknown (semver from npm)
"use strict";
const fs = require("fs");
const path = require("path");

const [file, query, ...args] = process.argv.slice(2);

let pkg;
try {
  pkg = JSON.parse(fs.readFileSync(file, "utf8"));
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
if (pkg === null || typeof pkg !== "object" || Array.isArray(pkg)) {
  console.error("package.json must contain a JSON object");
  process.exit(2);
}

function loadSemver(npmRoot) {
  // Debian's node finds its semver module globally; NodeSource's npm bundles one.
  const candidates = ["semver"];
  if (npmRoot) candidates.push(path.join(npmRoot, "npm", "node_modules", "semver"));
  for (const c of candidates) {
    try {
      return require(c);
    } catch (e) {
      // try the next place
    }
  }
  return null;
}

switch (query) {
  case "valid":
    break;
  case "has-script":
    process.exit(pkg.scripts && typeof pkg.scripts[args[0]] === "string" ? 0 : 1);
  case "engine":
    console.log((pkg.engines && typeof pkg.engines[args[0]] === "string" && pkg.engines[args[0]]) || "");
    break;
  case "cache-dirs": {
    // Heroku's cacheDirectories (or cache_directories); only relative paths inside the app.
    let dirs = pkg.cacheDirectories || pkg.cache_directories || ["node_modules"];
    if (!Array.isArray(dirs)) dirs = ["node_modules"];
    for (const d of dirs) {
      if (typeof d !== "string") continue;
      const norm = path.posix.normalize(d).replace(/\/+$/, "");
      if (norm === "" || norm === "." || norm.startsWith("/") || norm.split("/").includes("..")) continue;
      console.log(norm);
    }
    break;
  }
  case "satisfies": {
    const semver = loadSemver(args[2]);
    if (!semver || !semver.validRange(args[1])) {
      console.log("unknown");
    } else {
      console.log(semver.satisfies(args[0], args[1]) ? "yes" : "no");
    }
    break;
  }
  default:
    console.error(`unknown query: ${query}`);
    process.exit(64);
}
