// What the browser test runs on the host's page: the published @dfns/sdk-browser WebAuthnSigner and @dfns/sdk's
// client, unchanged, bundled for the browser by bundle-webauthn-signer.mjs.
import { WebAuthnSigner } from '@dfns/sdk-browser'
import { DfnsApiClient, DfnsError } from '@dfns/sdk'

globalThis.DfnsBrowser = { WebAuthnSigner, DfnsApiClient, DfnsError }
