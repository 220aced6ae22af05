using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Raccoon.Research.Blocks.Heads;

public enum HeadActivation { SiLU, ReLU }

/// <summary>Classifier head Linear -> activation [-> Dropout] -> Linear, the shape all three Raccoon builds use.</summary>
public static class MlpHead
{
    public static Sequential Create(int inputDim, int hiddenDim, int outputDim, HeadActivation activation, double dropout = 0.0)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>
        {
            nn.Linear(inputDim, hiddenDim),
            activation == HeadActivation.SiLU ? nn.SiLU() : nn.ReLU(),
        };
        if (dropout > 0) layers.Add(nn.Dropout(dropout));
        layers.Add(nn.Linear(hiddenDim, outputDim));
        return nn.Sequential(layers);
    }
}
