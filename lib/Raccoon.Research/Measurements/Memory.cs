using System.Reflection;
using System.Runtime.InteropServices;
using Raccoon.Research.Views;
using TorchSharp;
using static TorchSharp.torch;

namespace Raccoon.Research.Measurements;

/// <summary>
/// Memory of one forward pass, measured two ways.
/// <see cref="HeldByScopeBytes"/>: distinct storages of the tensors the forward created in the caller's
/// dispose scope (inputs and parameters excluded): what a TorchSharp forward under one scope keeps until
/// the scope ends. Tensors a module frees in its own inner scope are not in it.
/// <see cref="KeptForBackwardBytes"/>: native heap bytes (glibc mallinfo2, which libtorch's CPU tensors
/// come from) still allocated when every wrapper but the output is disposed: what autograd saved for the
/// backward pass plus the output, as PyTorch keeps it; null where mallinfo2 is missing.
/// </summary>
public sealed record ActivationMemory(string Name, long HeldByScopeBytes, int HeldByScopeTensors, long? KeptForBackwardBytes, long OutputBytes);

/// <summary>Bytes of a model: weights, buffers, gradients, Adam's two moments, activations of one forward,
/// the saved file, and the process's peak resident memory when measured.</summary>
public sealed record MemoryFootprint(
    string Name, long Parameters, long WeightBytes, long BufferBytes, long GradientBytes, long AdamStateBytes,
    ActivationMemory? Activations, long? FileBytes, long? PeakResidentBytes) : IMeasurementView
{
    /// <summary>What training with Adam holds besides activations: weights, buffers, gradients and moments.</summary>
    public long TrainingStateBytes => WeightBytes + BufferBytes + GradientBytes + AdamStateBytes;

    IEnumerable<(string Item, long? Bytes)> Items() =>
    [
        ("weights", WeightBytes), ("buffers", BufferBytes), ("gradients", GradientBytes), ("Adam moments", AdamStateBytes),
        ("activations held by scope", Activations?.HeldByScopeBytes), ("activations kept for backward", Activations?.KeptForBackwardBytes),
        ("saved file", FileBytes), ("peak resident (process)", PeakResidentBytes),
    ];

    public Table ToTable() => new($"Memory of {Name}", ["item", "bytes", "MiB"],
        Items().Where(i => i.Bytes is not null).Select(i => (IReadOnlyList<string>)
            [i.Item, MeasurementViews.Cell(i.Bytes!.Value), MeasurementViews.Cell(Math.Round(i.Bytes.Value / 1048576.0, 3))]).ToList());

    public Figure ToFigure()
    {
        var items = Items().Where(i => i.Bytes is not null && i.Item != "peak resident (process)").ToList();
        return Charts.Bars($"Memory of {Name} (MiB)", "MiB", false, [.. items.Select(i => i.Item)],
            new BarSeries("MiB", [.. items.Select(i => i.Bytes!.Value / 1048576.0)]));
    }
}

/// <summary>Bytes of weights, optimizer state, activations, files and the process.</summary>
public static class Memory
{
    /// <summary>numel x element size.</summary>
    public static long Bytes(Tensor t) => t.numel() * t.ElementSize;

    /// <summary>Every parameter, each shared tensor once (<see cref="Parameters.Named"/>).</summary>
    public static long WeightBytes(nn.Module module) => Parameters.Named(module).Sum(p => Bytes(p.Tensor));

    public static long BufferBytes(nn.Module module) => Parameters.NamedBuffers(module).Sum(b => Bytes(b.Tensor));

    /// <summary>One gradient per trainable parameter, of its size and type.</summary>
    public static long GradientBytes(nn.Module module) => Parameters.Named(module).Where(p => p.Tensor.requires_grad).Sum(p => Bytes(p.Tensor));

    /// <summary>Adam's state: first and second moments per trainable parameter (a third, the running maximum, with AMSGrad).</summary>
    public static long AdamStateBytes(nn.Module module, bool amsgrad = false) => (amsgrad ? 3 : 2) * GradientBytes(module);

    /// <summary>State an optimizer actually holds: every tensor field or property of its per-parameter states (Adam: exp_avg, exp_avg_sq).</summary>
    public static long OptimizerStateBytes(optim.Optimizer optimizer)
    {
        if (optimizer is not TorchSharp.Modules.OptimizerHelper managed)
            throw new ArgumentException($"{optimizer.GetType().Name} keeps its state in native code; its size cannot be read", nameof(optimizer));
        long total = 0;
        foreach (var state in managed.state_dict().State)
        {
            var type = state.GetType();
            var tensors = type.GetFields(BindingFlags.Public | BindingFlags.Instance).Where(f => typeof(Tensor).IsAssignableFrom(f.FieldType)).Select(f => f.GetValue(state))
                .Concat(type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => typeof(Tensor).IsAssignableFrom(p.PropertyType) && p.GetIndexParameters().Length == 0).Select(p => p.GetValue(state)));
            total += tensors.OfType<Tensor>().Where(t => !t.IsInvalid).Sum(Bytes);
        }
        return total;
    }

    /// <summary>Size on disk of the module saved with TorchSharp's <c>save</c> (its weights and persistent buffers).</summary>
    public static long SavedFileBytes(nn.Module module)
    {
        string path = Path.Combine(Path.GetTempPath(), $"raccoon-size-{Guid.NewGuid():N}.bin");
        try
        {
            module.save(path);
            return new FileInfo(path).Length;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Runs <paramref name="forward"/> once (gradients on) and measures what it leaves alive; see
    /// <see cref="ActivationMemory"/> for the two methods. Storages of <paramref name="module"/>'s parameters
    /// and buffers and of <paramref name="inputs"/> are not counted, nor views of them. One warm-up forward runs
    /// first. Other threads allocating at the same time disturb the native heap reading. Other threads allocating at the same time disturb the resident reading.
    /// </summary>
    public static ActivationMemory Activations(string name, Func<Tensor> forward, nn.Module? module = null, params Tensor[] inputs)
    {
        using (enable_grad())
        using (NewDisposeScope()) forward(); // warm-up: first use maps kernel code and thread stacks, which are no activations
        // Storages that exist before the forward (weights, inputs) are not activations, nor are views of them.
        var existing = (module is null ? [] : module.parameters().Select(p => (Tensor)p).Concat(module.buffers())).Concat(inputs)
            .Select(StorageOf).Where(s => s is not null).Select(s => s!.Value.Address).ToHashSet();
        using var enable = enable_grad();
        Timing.SettleGarbageCollector();
        long? before = NativeHeap.AllocatedBytes();
        long held; int heldCount; long outputBytes; long? kept = null;
        Tensor output;
        using (var scope = NewDisposeScope())
        {
            output = forward();
            var created = scope.DisposablesView.OfType<Tensor>().Where(t => !t.IsInvalid).ToList();
            (held, heldCount) = DistinctStorageBytes(created, existing);
            outputBytes = Bytes(output);
            output.MoveToOuterDisposeScope();
        } // every intermediate wrapper gone: what is still resident, autograd keeps for backward
        try
        {
            Timing.SettleGarbageCollector();
            long? after = NativeHeap.AllocatedBytes();
            if (before is not null && after is not null) kept = Math.Max(0, after.Value - before.Value);
        }
        finally
        {
            output.Dispose();
        }
        return new ActivationMemory(name, held, heldCount, kept, outputBytes);
    }

    /// <summary>Growth of the process's peak resident memory while <paramref name="action"/> runs; null where
    /// the peak cannot be reset (no /proc/self/clear_refs).</summary>
    public static long? PeakResidentGrowth(Action action)
    {
        long? start = SettledResidentBytes();
        if (start is null || !ProcessMemory.ResetPeak()) { action(); return null; }
        action();
        long? peak = ProcessMemory.Read().PeakResidentBytes;
        return peak is null ? null : Math.Max(0, peak.Value - start.Value);
    }

    /// <summary>Weights, buffers, gradients, Adam moments and saved file of a module; activations of
    /// <paramref name="forward"/> when given; the process's peak resident memory so far.</summary>
    public static MemoryFootprint Measure(string name, nn.Module module, Func<Tensor>? forward = null, bool includeFile = true) => new(
        name, Parameters.Total(module), WeightBytes(module), BufferBytes(module), GradientBytes(module), AdamStateBytes(module),
        forward is null ? null : Activations(name, forward, module), includeFile ? SavedFileBytes(module) : null, ProcessMemory.Read().PeakResidentBytes);

    /// <summary>Resident bytes after asking glibc to hand free pages back, so that freed tensors stop counting.</summary>
    static long? SettledResidentBytes()
    {
        if (!ProcessMemory.Available) return null;
        ProcessMemory.ReturnFreedHeap();
        return ProcessMemory.Read().ResidentBytes;
    }

    /// <summary>Address and size of the storage under a tensor (views share their base's); null for dtypes
    /// TorchSharp gives no typed storage for.</summary>
    public static (nint Address, long Bytes)? StorageOf(Tensor t)
    {
        using var scope = NewDisposeScope(); // storage<T>() makes a wrapper of the same tensor
        Storage? s = t.dtype switch
        {
            ScalarType.Float32 => t.storage<float>(),
            ScalarType.Float64 => t.storage<double>(),
            ScalarType.Int64 => t.storage<long>(),
            ScalarType.Int32 => t.storage<int>(),
            ScalarType.Byte => t.storage<byte>(),
            ScalarType.Bool => t.storage<bool>(),
            _ => null,
        };
        return s is null ? null : (s.data_ptr(), (long)s.nbytes());
    }

    /// <summary>Bytes of the distinct storages under <paramref name="tensors"/>, leaving out those in <paramref name="existing"/>.</summary>
    static (long Bytes, int Count) DistinctStorageBytes(IReadOnlyList<Tensor> tensors, HashSet<nint> existing)
    {
        var storages = new Dictionary<nint, long>();
        long untyped = 0;
        int count = 0;
        foreach (var t in tensors)
        {
            var s = StorageOf(t);
            if (s is null) { untyped += Bytes(t); count++; continue; }
            if (s.Value.Address == 0 || existing.Contains(s.Value.Address)) continue;
            storages[s.Value.Address] = s.Value.Bytes;
            count++;
        }
        return (storages.Values.Sum() + untyped, count);
    }
}
