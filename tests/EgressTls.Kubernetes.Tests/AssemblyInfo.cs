// The API tests share two cores with the stand-in servers; running classes one after another keeps the
// budgets the tests give the client meaningful.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
