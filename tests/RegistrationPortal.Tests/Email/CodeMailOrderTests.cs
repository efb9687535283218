using Microsoft.Extensions.Time.Testing;
using RegistrationPortal.Web.Features.Email;

namespace RegistrationPortal.Tests.Email;

/// <summary>A user's code mails leave a host one at a time, oldest first: the last one the user gets carries the code that works.</summary>
public sealed class CodeMailOrderTests
{
    private static readonly DateTimeOffset Issued = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_newer_mail_waits_until_the_older_one_being_sent_has_gone()
    {
        var order = new CodeMailOrder(new FakeTimeProvider());
        var older = await order.TakeAsync("us-1", Guid.NewGuid(), Issued);
        Assert.NotNull(older);

        var newer = order.TakeAsync("us-1", Guid.NewGuid(), Issued.AddMilliseconds(3)).AsTask();
        var otherUser = await order.TakeAsync("us-2", Guid.NewGuid(), Issued.AddMilliseconds(5));
        Assert.NotNull(otherUser);
        Assert.False(newer.IsCompleted, "the newer mail went out while the older one was being sent");

        older.Dispose();
        var turn = await newer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(turn);
    }

    [Fact]
    public async Task A_mail_older_than_one_sent_or_being_sent_is_not_sent()
    {
        var order = new CodeMailOrder(new FakeTimeProvider());
        var newerId = Guid.NewGuid();
        var newer = await order.TakeAsync("us-1", newerId, Issued.AddMilliseconds(3));
        Assert.NotNull(newer);

        // Taken while the newer one is being sent, and after it went.
        var whileSending = order.TakeAsync("us-1", Guid.NewGuid(), Issued).AsTask();
        newer.Dispose();
        Assert.Null(await whileSending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(await order.TakeAsync("us-1", Guid.NewGuid(), Issued.AddMilliseconds(1)));

        // The same mail again (a retry after a failed send) still goes.
        using var again = await order.TakeAsync("us-1", newerId, Issued.AddMilliseconds(3));
        Assert.NotNull(again);
    }

    [Fact]
    public async Task The_same_mail_taken_over_while_its_first_send_hangs_goes_at_once()
    {
        var order = new CodeMailOrder(new FakeTimeProvider());
        var id = Guid.NewGuid();
        var first = await order.TakeAsync("us-1", id, Issued);
        Assert.NotNull(first);

        var takenOver = order.TakeAsync("us-1", id, Issued).AsTask();
        Assert.True(takenOver.IsCompletedSuccessfully, "the mail taken over waited for its own first send");
        Assert.NotNull(await takenOver);

        // Another mail to the user still waits for the first send.
        var newer = order.TakeAsync("us-1", Guid.NewGuid(), Issued.AddMilliseconds(1)).AsTask();
        (await takenOver)!.Dispose();
        Assert.False(newer.IsCompleted, "the taken-over send ending let a newer mail past the first send still under way");
        first.Dispose();
        Assert.NotNull(await newer.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Users_are_forgotten_once_every_sender_has_read_their_codes_again()
    {
        var time = new FakeTimeProvider();
        var order = new CodeMailOrder(time);
        for (var i = 0; i < 100; i++)
        {
            (await order.TakeAsync($"us-{i}", Guid.NewGuid(), Issued))!.Dispose();
        }

        var sending = await order.TakeAsync("us-sending", Guid.NewGuid(), Issued);
        Assert.Equal(101, order.Count);

        time.Advance(CodeMailOrder.Memory);
        (await order.TakeAsync("us-new", Guid.NewGuid(), Issued))!.Dispose();
        Assert.Equal(2, order.Count);

        // One whose send has not ended is kept however long it takes.
        time.Advance(CodeMailOrder.Memory);
        (await order.TakeAsync("us-newer", Guid.NewGuid(), Issued))!.Dispose();
        Assert.Equal(2, order.Count);
        sending!.Dispose();
    }
}
