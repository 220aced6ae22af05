using System.Globalization;

namespace Raccoon.Research.IO;

/// <summary>
/// The one place that makes what the library writes independent of the caller's culture (issue 24). The library formats
/// numbers and dates in interpolated strings (<c>$"{ratio:0.0}x"</c>, <c>$"{at:yyyy-MM-dd}"</c>), which .NET formats in
/// the current culture: the command line sets the invariant culture, but a notebook kernel keeps the researcher's (de-DE
/// writes "1,5x", ar-SA another decimal mark and Umm al-Qura years), and a CSV or JSON number with a comma breaks. So each
/// entry point that makes text (an experiment's run, the judge, the ledger files, the CSV writer, the report, the
/// write-up and its figure files, claim cards and notebook displays) runs inside <see cref="Enter"/>, and the code under
/// it formats as the command line does without naming a culture at every hole.
/// </summary>
public static class InvariantFormatting
{
    /// <summary>Makes the invariant culture the current culture and UI culture until the scope is disposed, then puts the
    /// caller's back: <c>using var _ = InvariantFormatting.Enter();</c>. The culture flows into tasks started inside.</summary>
    public static Scope Enter() => new(CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);

    /// <summary><paramref name="work"/> run inside <see cref="Enter"/>, for entry points written as expressions.</summary>
    public static T Run<T>(Func<T> work)
    {
        using var _ = Enter();
        return work();
    }

    /// <summary>The caller's cultures, put back on dispose; nothing to do when the caller already runs invariant.</summary>
    public readonly struct Scope : IDisposable
    {
        readonly CultureInfo? _culture, _uiCulture;

        internal Scope(CultureInfo culture, CultureInfo uiCulture)
        {
            if (culture.Equals(CultureInfo.InvariantCulture) && uiCulture.Equals(CultureInfo.InvariantCulture)) return;
            (_culture, _uiCulture) = (culture, uiCulture);
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
        }

        public void Dispose()
        {
            if (_culture is null) return;
            CultureInfo.CurrentCulture = _culture;
            CultureInfo.CurrentUICulture = _uiCulture!;
        }
    }
}
