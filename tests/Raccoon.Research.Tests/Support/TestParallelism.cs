// Torch's default random generator, its thread pool and the process's resident memory are shared by
// every test in the process: tests that seed, time or measure memory would race each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
