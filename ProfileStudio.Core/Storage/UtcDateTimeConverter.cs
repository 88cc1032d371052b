using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ProfileStudio.Core.Storage;

/// <summary>
/// Stores DateTime as UTC and marks values read back as <see cref="DateTimeKind.Utc"/>. Values without a
/// kind (date pickers, parsed text) are taken as UTC already, the studio's time zone, never as server-local.
/// </summary>
public sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Local ? v.ToUniversalTime() : DateTime.SpecifyKind(v, DateTimeKind.Utc),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
