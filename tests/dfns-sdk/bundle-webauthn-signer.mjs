// Bundles webauthn-signer.entry.mjs for the browser with esbuild and prints the script on standard output
// (the browser tests inject it into the host's page). Run after `npm ci`: node bundle-webauthn-signer.mjs
import { build } from 'esbuild'

const result = await build({
  entryPoints: [new URL('./webauthn-signer.entry.mjs', import.meta.url).pathname],
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  logLevel: 'error',
})
process.stdout.write(result.outputFiles[0].text)
