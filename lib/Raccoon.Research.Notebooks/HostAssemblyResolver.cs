using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;

namespace Raccoon.Research.Notebooks;

/// <summary>
/// Resolves `#r "path.dll"` from the notebook's folder, and makes an assembly the host already carries
/// resolve to the host's copy. The headless host is the command-line tool itself, whose default load
/// context holds Raccoon.Research.dll, TorchSharp.dll and the rest of lib/Raccoon.Research.Cli/bin/:
/// loading a second copy would make the notebook's types and the library's different types (casts
/// fail). Such an assembly is loaded into the default context before Roslyn's loader looks for it,
/// and Roslyn's loader then uses the loaded one.
/// </summary>
sealed class HostAssemblyResolver(ScriptMetadataResolver resolver) : MetadataReferenceResolver
{
    readonly ScriptMetadataResolver inner = resolver;

    static readonly Lazy<IReadOnlyDictionary<string, string>> HostAssemblies = new(() =>
        ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase));

    public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties)
    {
        var resolved = inner.ResolveReference(reference, baseFilePath, properties);
        foreach (var r in resolved)
            if (r.FilePath is { } path && File.Exists(path)) UseHostCopy(path);
        return resolved;
    }

    /// <summary>Loads the host's own copy of the assembly at <paramref name="path"/> into the default context, where the host has one.</summary>
    static void UseHostCopy(string path)
    {
        AssemblyName name;
        try
        {
            name = AssemblyName.GetAssemblyName(path);
        }
        catch (BadImageFormatException)
        {
            return; // Roslyn reports it
        }
        bool loaded = AssemblyLoadContext.Default.Assemblies.Any(a => AssemblyName.ReferenceMatchesDefinition(a.GetName(), name));
        if (loaded || name.Name is null || !HostAssemblies.Value.ContainsKey(name.Name)) return;
        try
        {
            AssemblyLoadContext.Default.LoadFromAssemblyName(name);
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException)
        {
            // another version than the host's: Roslyn loads it by itself
        }
    }

    public override bool ResolveMissingAssemblies => inner.ResolveMissingAssemblies;

    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) =>
        inner.ResolveMissingAssembly(definition, referenceIdentity);

    public override bool Equals(object? other) => other is HostAssemblyResolver r && r.inner.Equals(inner);

    public override int GetHashCode() => inner.GetHashCode();
}
