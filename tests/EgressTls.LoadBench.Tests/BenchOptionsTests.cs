namespace EgressTls.LoadBench.Tests;

public class BenchOptionsTests
{
    [Fact]
    public void Repeat_defaults_to_one_and_takes_a_positive_count()
    {
        BenchOptions.Parse([]).Repeat.Should().Be(1);
        BenchOptions.Parse(["--repeat", "3"]).Repeat.Should().Be(3);
        ((Action)(() => BenchOptions.Parse(["--repeat", "0"]))).Should().Throw<ArgumentException>().WithMessage("*--repeat*");
    }

    [Fact]
    public void Wire_is_off_unless_asked_for()
    {
        BenchOptions.Parse([]).Wire.Should().BeFalse();
        BenchOptions.Parse(["--wire", "--bodies", "typical"]).Wire.Should().BeTrue();
    }
}
