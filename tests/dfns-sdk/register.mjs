// Registers one pending user through the published Dfns SDK (@dfns/sdk, unchanged), the way a real client does:
// resendRegistrationCode, createRegistrationChallenge, register, with a Key credential built exactly as
// @dfns/sdk-browser's BrowserKeySigner.create builds it (WebCrypto P-256 key, the SDK's own PEM and DER helpers).
// Before the real code it sends a wrong one and expects a DfnsError with status 401 and a message.
//
// Usage (from this folder, after `npm ci`):
//   BASE_URL=http://127.0.0.1:5243 ORG_ID=or-... USERNAME=alice@example.com node register.mjs
//   ... LEGACY_HEADERS=1 APP_ID=ap-... node register.mjs    (older clients: x-dfns-appid and x-dfns-nonce on every call)
//
// Code hand-off protocol (the code only exists in the email the host sends):
//   1. the script calls resendRegistrationCode, then prints one line {"event":"code-requested","username":...};
//   2. whoever drives it reads the newest mail to USERNAME and hands the code over:
//      - CODE_FILE set: write the code to that path (write a temporary file and rename it, so the script never
//        reads half a code); the script polls for the file until CODE_TIMEOUT_MS (default 60000);
//      - CODE_FILE unset: write the code and a newline to the script's standard input.
//   3. the script finishes and prints one line {"event":"result","ok":true|false,...}; exit code 0 only when ok.
// Every line on standard output is one JSON object; diagnostics go to standard error.
//
// Each run registers its user for good, and the host allows one resend a minute per user: use a fresh pending
// user per run.

import { webcrypto } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { createInterface } from 'node:readline'
import { DfnsApiClient, DfnsError } from '@dfns/sdk'
import { simpleFetch } from '@dfns/sdk/utils/fetch.js'
import { exportPublicKeyInPemFormatBrowser, rawSignatureToAns1, toBase64Url, toHex } from '@dfns/sdk/utils/index.js'

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback
  if (value === undefined || value === '') throw new Error(`${name} is required`)
  return value
}

const baseUrl = env('BASE_URL')
const orgId = env('ORG_ID')
const username = env('USERNAME')
const legacy = process.env.LEGACY_HEADERS === '1'
const appId = legacy ? env('APP_ID') : undefined
const codeFile = process.env.CODE_FILE
const codeTimeoutMs = Number(process.env.CODE_TIMEOUT_MS ?? 60000)
const subtle = webcrypto.subtle

const emit = (line) => process.stdout.write(JSON.stringify(line) + '\n')

// The legacy documentation's nonce: base64url of {"uuid","date"}, new for every request.
const legacyHeaders = () => ({
  'x-dfns-appid': appId,
  'x-dfns-nonce': toBase64Url(JSON.stringify({ uuid: webcrypto.randomUUID(), date: new Date().toISOString() })),
})

// Today's SDK calls go through client.auth; the legacy run sends the same requests through the SDK's own request
// helper (simpleFetch: same URL joining, JSON body, error handling), which is the only way to add headers.
const call = async (apiOptions, method, path, body, sdkCall) => {
  if (!legacy) return sdkCall(new DfnsApiClient(apiOptions).auth)
  const response = await simpleFetch(path, { method, body, apiOptions, headers: legacyHeaders() })
  return response.json()
}

const resend = (apiOptions) =>
  call(apiOptions, 'PUT', '/auth/registration/code', { username, orgId }, (auth) =>
    auth.resendRegistrationCode({ body: { username, orgId } }))

const init = (apiOptions, registrationCode) =>
  call(apiOptions, 'POST', '/auth/registration/init', { username, registrationCode, orgId }, (auth) =>
    auth.createRegistrationChallenge({ body: { username, registrationCode, orgId } }))

const register = (apiOptions, body) =>
  call(apiOptions, 'POST', '/auth/registration', body, (auth) => auth.register({ body }))

const waitForCode = async () => {
  if (codeFile) {
    const deadline = Date.now() + codeTimeoutMs
    while (Date.now() < deadline) {
      if (existsSync(codeFile)) {
        const code = readFileSync(codeFile, 'utf8').trim()
        if (code) return code
      }
      await sleep(100)
    }
    throw new Error(`no code in ${codeFile} after ${codeTimeoutMs} ms`)
  }

  const lines = createInterface({ input: process.stdin })
  const timer = setTimeout(() => lines.close(), codeTimeoutMs)
  for await (const line of lines) {
    if (line.trim()) {
      clearTimeout(timer)
      lines.close()
      return line.trim()
    }
  }
  throw new Error(`no code on standard input after ${codeTimeoutMs} ms`)
}

// BrowserKeySigner.create, step by step, with Node's WebCrypto standing in for the browser's.
const createKeyCredential = async (keyPair, challenge) => {
  const credId = toBase64Url(Buffer.from(webcrypto.getRandomValues(new Uint8Array(32))))
  const publicKeyPem = await exportPublicKeyInPemFormatBrowser(keyPair)
  const clientData = JSON.stringify({ type: 'key.create', challenge: challenge.challenge })
  const clientDataHash = await subtle.digest('SHA-256', new TextEncoder().encode(clientData))
  const credInfoFingerprint = JSON.stringify({ clientDataHash: toHex(clientDataHash), publicKey: publicKeyPem })
  const rawSignature = await subtle.sign(
    { name: 'ECDSA', hash: { name: 'SHA-256' } },
    keyPair.privateKey,
    new TextEncoder().encode(credInfoFingerprint),
  )
  const signature = rawSignatureToAns1(new Uint8Array(rawSignature))
  const attestationData = JSON.stringify({ publicKey: publicKeyPem, signature: toHex(signature.buffer) })
  return {
    credentialKind: 'Key',
    credentialInfo: { credId, clientData: toBase64Url(clientData), attestationData: toBase64Url(attestationData) },
  }
}

const main = async () => {
  const apiOptions = { baseUrl }

  const resent = await resend(apiOptions)
  if (resent?.message !== 'success') throw new Error(`resend answered ${JSON.stringify(resent)}`)
  emit({ event: 'code-requested', username, orgId, legacy })
  const code = await waitForCode()

  // A wrong code first: the SDK must surface the host's answer as DfnsError(401, message).
  const wrongCode = code.replace(/[^-]/g, (c) => (c === '0' ? '1' : '0'))
  let wrong
  try {
    await init(apiOptions, wrongCode)
    wrong = { ok: false, reason: 'a wrong code was accepted' }
  } catch (error) {
    wrong = error instanceof DfnsError && error.httpStatus === 401 && typeof error.message === 'string' && error.message.length > 0
      ? { ok: true, status: error.httpStatus, message: error.message }
      : { ok: false, status: error?.httpStatus, message: String(error?.message ?? error) }
  }

  const challenge = await init(apiOptions, code)
  const keyPair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  const firstFactorCredential = await createKeyCredential(keyPair, challenge)

  // authToken and orgId together make the SDK check the token's org claim before it sends anything.
  const registered = await register(
    { baseUrl, orgId, authToken: challenge.temporaryAuthenticationToken },
    { firstFactorCredential, credentialName: 'SDK key' },
  )

  const ok = wrong.ok
    && registered?.user?.username?.toLowerCase() === username.toLowerCase()
    && registered?.user?.orgId === orgId
    && registered?.credential?.kind === 'Key'
    && /^cr-/.test(registered?.credential?.uuid ?? '')
  emit({
    event: 'result',
    ok,
    legacy,
    wrongCode: wrong,
    challenge: {
      userId: challenge.user?.id,
      pubKeyCredParams: challenge.pubKeyCredParams,
      firstFactor: challenge.supportedCredentialKinds?.firstFactor,
    },
    registered,
  })
  return ok
}

try {
  process.exitCode = (await main()) ? 0 : 1
} catch (error) {
  emit({
    event: 'result',
    ok: false,
    legacy,
    error: String(error?.message ?? error),
    status: error instanceof DfnsError ? error.httpStatus : undefined,
  })
  process.exitCode = 1
}
