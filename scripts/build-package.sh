#!/usr/bin/env bash
# build-package.sh: the component library as other Pulumi programs install it (npm run build).
# Compiles components/ to JavaScript with declarations under dist/ (tsconfig.build.json) and puts
# the host scripts beside them, where the compiled components look for them (host/step.ts
# SCRIPTS_DIR: <components>/scripts). The stack program itself runs from source (Pulumi.yaml).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rm -rf dist
node_modules/.bin/tsc -p tsconfig.build.json
mkdir -p dist/components/scripts
cp -p components/scripts/* dist/components/scripts/
echo "build-package: dist/components (index.js, index.d.ts, $(find dist/components -name '*.js' | wc -l) modules," \
	"$(find dist/components/scripts -type f | wc -l) host scripts)" >&2
