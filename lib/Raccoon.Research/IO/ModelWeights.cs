using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Raccoon.Research.IO;

/// <summary>
/// How a C# module's state names (parameters and buffers, as <c>state_dict</c> names them) are spelt in the
/// upstream PyTorch code: optionally every camelCase segment in snake_case (C# fields such as <c>timeEmbedding</c>
/// against Python's <c>time_embedding</c>), then ordered rules, the first whose pattern matches a name rewrites it
/// (a regular-expression replacement). A rule whose replacement is null leaves the name out of the file: a constant
/// buffer the C# keeps in its state and the PyTorch module computes in its constructor.
/// </summary>
public sealed class ParameterNames
{
    readonly bool snakeCase;
    readonly (Regex Pattern, string? Replacement)[] rules;

    public ParameterNames(params (string Pattern, string? Replacement)[] rules) : this(false, rules) { }

    public ParameterNames(bool snakeCase, params (string Pattern, string? Replacement)[] rules)
    {
        this.snakeCase = snakeCase;
        this.rules = rules.Select(r => (new Regex(r.Pattern, RegexOptions.CultureInvariant), r.Replacement)).ToArray();
    }

    /// <summary>Names the same on both sides.</summary>
    public static ParameterNames Same { get; } = new();

    /// <summary>Every camelCase segment in snake_case, nothing else.</summary>
    public static ParameterNames SnakeCase { get; } = new(true);

    static readonly Regex Hump = new("(?<=[a-z0-9])(?=[A-Z])", RegexOptions.CultureInvariant);

    /// <summary>PyTorch's name of a C# state name, or null where the name is left out.</summary>
    public string? ToPyTorch(string name)
    {
        if (snakeCase) name = Hump.Replace(name, "_").ToLowerInvariant();
        foreach (var (pattern, replacement) in rules)
            if (pattern.IsMatch(name)) return replacement is null ? null : pattern.Replace(name, replacement);
        return name;
    }

    /// <summary>C# name to PyTorch name for each of <paramref name="names"/> not left out; two names mapped to one is an error.</summary>
    public IReadOnlyDictionary<string, string> Map(IEnumerable<string> names)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var n in names)
        {
            if (ToPyTorch(n) is not string p) continue;
            if (seen.TryGetValue(p, out var other))
                throw new InvalidOperationException($"state names '{other}' and '{n}' both map to PyTorch's '{p}'");
            seen[p] = n;
            map[n] = p;
        }
        return map;
    }
}

/// <summary>
/// A module's weights (its state: parameters and buffers) as a safetensors file under PyTorch's names, which
/// Python opens with <c>safetensors.torch.load_file</c> (or benchmarks/pytorch/safetensors_io.py) and feeds to
/// <c>load_state_dict</c>. Written whole or not at all; loading is strict (the same names, shapes and types).
/// </summary>
public static class ModelWeights
{
    /// <summary>The module's state under PyTorch's names: detached, contiguous CPU copies the caller disposes.</summary>
    public static Dictionary<string, Tensor> State(nn.Module module, ParameterNames? names = null)
    {
        var state = module.state_dict();
        var map = (names ?? ParameterNames.Same).Map(state.Keys);
        return state.Where(kv => map.ContainsKey(kv.Key))
            .ToDictionary(kv => map[kv.Key], kv => kv.Value.detach().cpu().contiguous().clone(), StringComparer.Ordinal);
    }

    public static void Save(nn.Module module, string path, ParameterNames? names = null)
    {
        var state = State(module, names);
        try
        {
            SaveTensors(path, state);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>Copies a saved state into <paramref name="module"/>; names (after <paramref name="names"/>), shapes and
    /// types must all match, or nothing is copied and the error lists the differences.</summary>
    public static void Load(nn.Module module, string path, ParameterNames? names = null)
    {
        var saved = LoadTensors(path);
        try
        {
            var all = module.state_dict();
            var map = (names ?? ParameterNames.Same).Map(all.Keys);
            var state = all.Where(kv => map.ContainsKey(kv.Key)).ToList();
            var missing = map.Where(kv => !saved.ContainsKey(kv.Value)).Select(kv => kv.Value).ToList();
            var unexpected = saved.Keys.Except(map.Values).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new InvalidDataException($"'{path}' does not hold this model's state: missing {Names(missing)}, unexpected {Names(unexpected)}");
            foreach (var (name, t) in state)
            {
                var s = saved[map[name]];
                if (!s.shape.SequenceEqual(t.shape) || s.dtype != t.dtype)
                    throw new InvalidDataException($"'{path}': {map[name]} is {s.dtype} [{string.Join(", ", s.shape)}], the model's {name} is {t.dtype} [{string.Join(", ", t.shape)}]");
            }
            using var _ = no_grad();
            foreach (var (name, t) in state) t.copy_(saved[map[name]]);
        }
        finally
        {
            foreach (var t in saved.Values) t.Dispose();
        }
    }

    /// <summary>Writes named tensors as one safetensors file (TorchSharp.PyBridge's writer), whole or not at all.</summary>
    public static void SaveTensors(string path, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var contiguous = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous(), StringComparer.Ordinal);
        try
        {
            AtomicFile.Write(path, s => Safetensors.SaveStateDict(s, contiguous, leaveOpen: true));
        }
        finally
        {
            foreach (var (k, t) in contiguous) if (!ReferenceEquals(t, tensors[k])) t.Dispose();
        }
    }

    /// <summary>Every tensor of a safetensors file by name; the caller disposes them.</summary>
    public static Dictionary<string, Tensor> LoadTensors(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no weights file '{path}'", path);
        using var stream = File.OpenRead(path);
        return Safetensors.LoadStateDict(stream, leaveOpen: true);
    }

    static string Names(IReadOnlyCollection<string> names) => names.Count == 0 ? "none" : string.Join(", ", names.Take(12)) + (names.Count > 12 ? $" and {names.Count - 12} more" : "");
}
