using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Raccoon.Research.Views;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Measurements;

/// <summary>One parameter or buffer tensor of a module, by its dotted name as PyTorch's
/// <c>named_parameters()</c> / <c>named_buffers()</c> give it.</summary>
public sealed record ParameterTensor(string Name, long[] Shape, long Count, bool Trainable, bool IsBuffer, string DType);

/// <summary>
/// Parameter counts of one module and everything under it. <see cref="Trainable"/>, <see cref="Frozen"/>
/// and <see cref="Buffers"/> are subtree totals; a tensor shared by two modules (tied weights) is counted
/// once, at the first place <c>named_parameters()</c> meets it, so the root's total equals PyTorch's
/// <c>sum(p.numel() for p in model.parameters())</c>.
/// </summary>
/// <param name="Path">Dotted path from the root ("" for the root itself), e.g. "blocks.0.attn".</param>
/// <param name="Name">Last part of the path, or the root's display name.</param>
/// <param name="Kind">The module's class name (Linear, SelfAttention...).</param>
public sealed record ParameterNode(
    string Path, string Name, string Kind, long Trainable, long Frozen, long Buffers, IReadOnlyList<ParameterNode> Children) : IMeasurementView
{
    /// <summary>Every parameter, trainable or not (PyTorch's <c>numel</c> sum over <c>parameters()</c>).</summary>
    public long Parameters => Trainable + Frozen;

    /// <summary>Parameters held directly by this module, not by a child.</summary>
    public long Own => Parameters - Children.Sum(c => c.Parameters);

    /// <summary>0 for the root, 1 for its children...</summary>
    public int Depth => Path.Length == 0 ? 0 : Path.Count(ch => ch == '.') + 1;

    /// <summary>This node and every node under it, parents before children (the flat view).</summary>
    public IEnumerable<ParameterNode> Flatten()
    {
        yield return this;
        foreach (var c in Children)
            foreach (var n in c.Flatten()) yield return n;
    }

    /// <summary>The node at a dotted path ("" is this node); throws naming the path when there is none.</summary>
    public ParameterNode this[string path] =>
        Flatten().FirstOrDefault(n => n.Path == path)
        ?? throw new KeyNotFoundException($"no module at '{path}'; modules: {string.Join(", ", Flatten().Select(n => n.Path).Where(p => p.Length > 0).Take(20))}");

    /// <summary>(path, parameters) for every module down to <paramref name="maxDepth"/>.</summary>
    public IReadOnlyList<(string Path, long Parameters)> Flat(int maxDepth = int.MaxValue) =>
        Flatten().Where(n => n.Depth <= maxDepth).Select(n => (n.Path, n.Parameters)).ToList();

    public Table ToTable() => ToTable(int.MaxValue);

    public Table ToTable(int maxDepth, string? title = null) => new(
        title ?? $"Parameters of {Name}",
        ["module", "kind", "depth", "parameters", "trainable", "frozen", "buffers", "own"],
        Flatten().Where(n => n.Depth <= maxDepth).Select(n => (IReadOnlyList<string>)
        [
            n.Depth == 0 ? Name : n.Path, n.Kind, n.Depth.ToString(CultureInfo.InvariantCulture), MeasurementViews.Cell(n.Parameters),
            MeasurementViews.Cell(n.Trainable), MeasurementViews.Cell(n.Frozen), MeasurementViews.Cell(n.Buffers), MeasurementViews.Cell(n.Own),
        ]).ToList());

    /// <summary>A sunburst of the tree: each ring a level, each sector's size its parameter count.</summary>
    public Figure ToFigure()
    {
        var nodes = Flatten().ToList();
        string Id(ParameterNode n) => n.Depth == 0 ? Name : Name + "." + n.Path;
        string ParentId(ParameterNode n) => n.Depth <= 1 ? (n.Depth == 0 ? "" : Name) : Name + "." + n.Path[..n.Path.LastIndexOf('.')];
        return Charts.Sunburst($"Parameters of {Name}", [.. nodes.Select(Id)], [.. nodes.Select(n => n.Depth == 0 ? Name : n.Name)],
            [.. nodes.Select(ParentId)], [.. nodes.Select(n => (double)n.Parameters)]);
    }
}

/// <summary>Parameter counts the way PyTorch counts them (<c>numel</c> over <c>parameters()</c>), per
/// component as a tree, trainable and frozen apart, buffers (running statistics, masks) apart.</summary>
public static class Parameters
{
    /// <summary>Every parameter (trainable or not), each shared tensor once.</summary>
    public static long Total(nn.Module module) => Named(module).Sum(p => p.Tensor.numel());

    /// <summary>Parameters that require a gradient.</summary>
    public static long Trainable(nn.Module module) => Named(module).Where(p => p.Tensor.requires_grad).Sum(p => p.Tensor.numel());

    /// <summary>Elements of every buffer (persistent or not), each shared tensor once.</summary>
    public static long Buffers(nn.Module module) => NamedBuffers(module).Sum(b => b.Tensor.numel());

    /// <summary>Every parameter and buffer tensor by name, in <c>named_parameters()</c> then <c>named_buffers()</c> order.</summary>
    public static IReadOnlyList<ParameterTensor> Tensors(nn.Module module) =>
        Named(module).Select(p => new ParameterTensor(p.Name, p.Tensor.shape, p.Tensor.numel(), p.Tensor.requires_grad, false, p.Tensor.dtype.ToString()))
            .Concat(NamedBuffers(module).Select(b => new ParameterTensor(b.Name, b.Tensor.shape, b.Tensor.numel(), false, true, b.Tensor.dtype.ToString())))
            .ToList();

    /// <summary>
    /// <c>named_parameters()</c> with each tensor once. TorchSharp tells tensors apart by wrapper handle,
    /// and some modules (Embedding) hand out a new wrapper of the same tensor on every read, so a tied
    /// weight would be counted twice; PyTorch counts it once, so tensors are told apart by their memory.
    /// </summary>
    public static IReadOnlyList<(string Name, Tensor Tensor)> Named(nn.Module module) =>
        Distinct(module.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));

    /// <summary><c>named_buffers()</c> with each tensor once (see <see cref="Named"/>).</summary>
    public static IReadOnlyList<(string Name, Tensor Tensor)> NamedBuffers(nn.Module module) =>
        Distinct(module.named_buffers().Select(b => (b.name, b.buffer)));

    static IReadOnlyList<(string Name, Tensor Tensor)> Distinct(IEnumerable<(string, Tensor)> named)
    {
        var seen = new HashSet<string>();
        var result = new List<(string, Tensor)>();
        foreach (var (name, t) in named)
            if (seen.Add(Identity(t))) result.Add((name, t));
        return result;
    }

    /// <summary>Two tensors are the same tensor when they start at the same address with the same dtype, shape and strides.</summary>
    static string Identity(Tensor t)
    {
        nint address = t.Handle; // fallback: the wrapper itself
        if (t.device_type == DeviceType.CPU && t.is_contiguous() && t.numel() > 0 && t.numel() * t.ElementSize <= int.MaxValue)
            address = Unsafe.ByteOffset(ref Unsafe.NullRef<byte>(), ref MemoryMarshal.GetReference(t.bytes));
        return $"{address:x}|{t.dtype}|{string.Join(',', t.shape)}|{string.Join(',', t.stride())}";
    }

    /// <summary>The tree of counts: model -> block -> layer, following <c>named_children()</c>.</summary>
    public static ParameterNode Count(nn.Module module, string? name = null)
    {
        // Attribute each (deduplicated) tensor to the module that owns it: the prefix of its dotted name.
        var own = new Dictionary<string, (long Trainable, long Frozen, long Buffers)>();
        void Add(string tensorName, long trainable, long frozen, long buffers)
        {
            int dot = tensorName.LastIndexOf('.');
            string owner = dot < 0 ? "" : tensorName[..dot];
            var c = own.GetValueOrDefault(owner);
            own[owner] = (c.Trainable + trainable, c.Frozen + frozen, c.Buffers + buffers);
        }
        foreach (var (n, p) in Named(module))
            if (p.requires_grad) Add(n, p.numel(), 0, 0); else Add(n, 0, p.numel(), 0);
        foreach (var (n, b) in NamedBuffers(module))
            Add(n, 0, 0, b.numel());

        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        ParameterNode Build(nn.Module m, string path, string nodeName)
        {
            seen.Add(m);
            var children = m.named_children()
                .Where(c => !seen.Contains(c.module)) // a module registered twice is shown once, as PyTorch's named_modules does
                .Select(c => Build(c.module, path.Length == 0 ? c.name : path + "." + c.name, c.name))
                .ToList();
            var o = own.GetValueOrDefault(path);
            return new ParameterNode(path, nodeName, m.GetType().Name,
                o.Trainable + children.Sum(c => c.Trainable), o.Frozen + children.Sum(c => c.Frozen), o.Buffers + children.Sum(c => c.Buffers), children);
        }
        var root = Build(module, "", name ?? module.GetName() ?? module.GetType().Name);

        long total = own.Values.Sum(o => o.Trainable + o.Frozen);
        if (root.Parameters != total) // a tensor named under a path that is no child module would be lost: fail loudly rather than miscount
            throw new InvalidOperationException($"parameter tree of {root.Name} sums to {root.Parameters}, but its named parameters hold {total}");
        return root;
    }
}
