// The pasted list never travels in a Blazor event (a SignalR message is capped at 32 KB): the dialog asks for it
// when the admin presses Preview, and gets it as a stream, which Blazor sends in chunks.
export function readText(textarea) {
    return new TextEncoder().encode(textarea?.value ?? "");
}
