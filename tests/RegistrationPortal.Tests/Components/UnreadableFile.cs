using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;

namespace RegistrationPortal.Tests.Components;

/// <summary>
/// A file the browser offered but cannot hand over: changed, moved or removed after it was chosen, so reading it fails
/// part way, as the browser's stream does. bUnit's own files always read.
/// </summary>
internal sealed class UnreadableFile(string name, string contentType, long size) : IBrowserFile
{
    public string Name => name;

    public DateTimeOffset LastModified => DateTimeOffset.UnixEpoch;

    public long Size => size;

    public string ContentType => contentType;

    public Stream OpenReadStream(long maxAllowedSize = 512000, CancellationToken cancellationToken = default) => new FailingStream(size);

    /// <summary>Chooses this file in the page's file input, as the browser's change event does.</summary>
    public Task ChooseInAsync(IRenderedComponent<IComponent> within)
    {
        var input = within.FindComponent<InputFile>();
        return within.InvokeAsync(() => input.Instance.OnChange.InvokeAsync(new InputFileChangeEventArgs([this])));
    }

    private sealed class FailingStream(long length) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw Gone();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromException<int>(Gone());

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromException<int>(Gone());

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private static IOException Gone() => new("The file was changed after it was chosen.");
    }
}
