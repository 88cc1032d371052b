namespace ProfileStudio.Core.Unification;

/// <summary>
/// Data kept outside the store's file that names profiles by id (segment memberships, in their own file) and so must not
/// outlive a rebuild, which numbers every profile afresh: told right after the rebuilt store is swapped in, so the old ids
/// stop pointing at other people at once rather than when a change-feed consumer reads the rebuild's row. The consumer
/// still clears them on that row too (a crash between the swap and this call).
/// </summary>
public interface IRebuildFollower
{
    Task SwappedInAsync(DateTime now, CancellationToken ct);
}
