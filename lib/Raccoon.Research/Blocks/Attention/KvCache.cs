using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Attention;

/// <summary>
/// Keys and values of the positions already generated, per attention layer, so that generating one
/// more token attends over them without recomputing them. Owns its tensors; dispose it after generation.
/// </summary>
public sealed class KvCache : IDisposable
{
    Tensor? keys, values; // (B, h, T, hd)

    public long Length => keys?.shape[2] ?? 0;
    public long? Batch => keys?.shape[0];

    /// <summary>Appends k, v (B, h, t, hd) and returns the whole cached keys and values (B, h, T + t, hd).</summary>
    public (Tensor Keys, Tensor Values) Append(Tensor k, Tensor v)
    {
        if (k.dim() != 4 || !k.shape.SequenceEqual(v.shape))
            throw new ArgumentException($"KV cache expects keys and values of one shape (batch, heads, time, dim), got ({string.Join(", ", k.shape)}) and ({string.Join(", ", v.shape)})");
        if (keys is not null && (k.shape[0] != keys.shape[0] || k.shape[1] != keys.shape[1] || k.shape[3] != keys.shape[3]))
            throw new ArgumentException($"KV cache holds batch {keys.shape[0]} x {keys.shape[1]} heads x {keys.shape[3]}, was fed ({string.Join(", ", k.shape)}): a cache serves one batch");
        var newKeys = keys is null ? k.detach().clone() : cat([keys, k.detach()], 2);
        var newValues = values is null ? v.detach().clone() : cat([values, v.detach()], 2);
        newKeys.DetachFromDisposeScope(); newValues.DetachFromDisposeScope();
        keys?.Dispose(); values?.Dispose();
        keys = newKeys; values = newValues;
        return (keys, values);
    }

    public void Dispose()
    {
        keys?.Dispose(); values?.Dispose();
        keys = values = null;
    }
}
