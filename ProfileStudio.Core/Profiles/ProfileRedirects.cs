using Microsoft.EntityFrameworkCore;
using ProfileStudio.Core.Storage;

namespace ProfileStudio.Core.Profiles;

/// <summary>Merged profile ids redirect to the survivor (one hop after a merge; a few hops are followed to be safe).</summary>
internal static class ProfileRedirects
{
    /// <summary>The live profile an id stands for, or null when there is none.</summary>
    public static async Task<long?> CanonicalAsync(ProfileStudioDbContext db, long id, CancellationToken ct)
    {
        for (var hops = 0; hops < 64; hops++)
        {
            var row = await db.Profiles.AsNoTracking().Where(p => p.Id == id).Select(p => new { p.MergedIntoId }).FirstOrDefaultAsync(ct);
            if (row is null)
            {
                return null;
            }
            if (row.MergedIntoId is not { } into)
            {
                return id;
            }
            id = into;
        }
        return null;
    }
}
