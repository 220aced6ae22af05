using System.Text.RegularExpressions;
using Raccoon.Research.Tests.Support;

namespace Raccoon.Research.Tests.Architecture;

/// <summary>
/// Issue 20, item 7: no namespace cycle between the library's namespaces. Read from the sources: a file's namespace
/// (its first segment under Raccoon.Research) depends on another when it names it in a using directive or a qualified
/// name in code (comments and string literals removed). The graph must be acyclic, so a reader can take the layers
/// bottom-up: Measurements, Ledger, Experiments, Reporting. The check covers the four namespaces issue 20 names;
/// the model-building namespaces (Models and Training still name each other) are outside it.
/// </summary>
public partial class NamespaceLayersTests
{
    static readonly string Library = Path.Combine(Repo.Root, "lib", "Raccoon.Research");

    [GeneratedRegex(@"^\s*namespace\s+Raccoon\.Research\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|\$?""(?:[^""\\\n]|\\.)*""", RegexOptions.Singleline)]
    private static partial Regex CommentsAndStrings();

    [GeneratedRegex(@"(?<![\w.])(?:Raccoon\.Research\.)?(\w+)\.(?=[A-Z])|\busing\s+(?:static\s+)?(?:\w+\s*=\s*)?Raccoon\.Research\.(\w+)\s*;")]
    private static partial Regex QualifiedName();

    /// <summary>Namespace -> the namespaces it names, with one file that names each.</summary>
    internal static Dictionary<string, Dictionary<string, string>> Graph(string root)
    {
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Select(f => (File: f, Text: File.ReadAllText(f))).ToList();
        var names = files.Select(f => NamespaceLine().Match(f.Text)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();
        var graph = names.ToDictionary(n => n, _ => new Dictionary<string, string>());
        foreach (var (file, text) in files)
        {
            var own = NamespaceLine().Match(text);
            if (!own.Success) continue;
            string from = own.Groups[1].Value;
            string code = CommentsAndStrings().Replace(text, " ");
            foreach (Match m in QualifiedName().Matches(code))
            {
                string to = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
                if (to != from && names.Contains(to)) graph[from].TryAdd(to, Path.GetRelativePath(root, file));
            }
        }
        return graph;
    }

    /// <summary>One cycle of the graph as "A -> B (file) -> A (file)", or null when there is none.</summary>
    internal static string? Cycle(Dictionary<string, Dictionary<string, string>> graph)
    {
        var state = graph.Keys.ToDictionary(k => k, _ => 0); // 0 new, 1 on the path, 2 done
        var path = new List<string>();
        string? found = null;
        bool Visit(string n)
        {
            state[n] = 1; path.Add(n);
            foreach (var to in graph[n].Keys.Order(StringComparer.Ordinal))
            {
                if (state[to] == 1)
                {
                    var loop = path.Skip(path.IndexOf(to)).Append(to).ToList();
                    found = loop[0] + string.Concat(loop.Zip(loop.Skip(1), (a, b) => $" -> {b} ({graph[a][b]})"));
                    return true;
                }
                if (state[to] == 0 && Visit(to)) return true;
            }
            state[n] = 2; path.RemoveAt(path.Count - 1);
            return false;
        }
        foreach (var n in graph.Keys.Order(StringComparer.Ordinal))
            if (state[n] == 0 && Visit(n)) return found;
        return null;
    }

    static readonly string[] Layers = ["Measurements", "Ledger", "Experiments", "Reporting"];

    [Fact]
    public void Measurements_Ledger_Experiments_and_Reporting_form_no_cycle()
    {
        var graph = Graph(Library);
        Assert.All(Layers, n => Assert.Contains(n, graph.Keys));
        var layers = Layers.ToDictionary(n => n, n => graph[n].Where(e => Layers.Contains(e.Key)).ToDictionary(e => e.Key, e => e.Value));
        Assert.Null(Cycle(layers));
    }

    [Fact]
    public void A_cycle_is_found_and_named_with_the_files_that_make_it()
    {
        string dir = Repo.TempDir("namespace-cycle");
        File.WriteAllText(Path.Combine(dir, "A.cs"), "using Raccoon.Research.B;\nnamespace Raccoon.Research.A;\nclass X { }\n");
        File.WriteAllText(Path.Combine(dir, "B.cs"), "namespace Raccoon.Research.B;\nclass Y { A.X x; string s = \"C.Z\"; } // C.Z\n");
        File.WriteAllText(Path.Combine(dir, "C.cs"), "namespace Raccoon.Research.C;\nclass Z { }\n");
        var graph = Graph(dir);
        Assert.Equal(["B"], graph["A"].Keys);
        Assert.Equal(["A"], graph["B"].Keys); // "C.Z" in a string and a comment is not a dependency
        Assert.Equal("A -> B (A.cs) -> A (B.cs)", Cycle(graph));
        File.WriteAllText(Path.Combine(dir, "B.cs"), "namespace Raccoon.Research.B;\nclass Y { }\n");
        Assert.Null(Cycle(Graph(dir)));
    }
}
