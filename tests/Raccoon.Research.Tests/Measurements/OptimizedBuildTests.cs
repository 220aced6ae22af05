using System.Diagnostics;
using System.Reflection;
using Raccoon.Research.Measurements;

namespace Raccoon.Research.Tests.Measurements;

/// <summary>Every timing the library takes comes from JIT-optimised code, whatever configuration built it.</summary>
public class OptimizedBuildTests
{
    [Fact]
    public void The_library_is_built_with_the_JIT_optimiser_on_in_every_configuration()
    {
        var attribute = typeof(MachineContext).Assembly.GetCustomAttribute<DebuggableAttribute>();
        Assert.False(attribute?.IsJITOptimizerDisabled ?? false,
            "Raccoon.Research.dll was built without optimisation: its timings would be Debug timings");
    }
}
