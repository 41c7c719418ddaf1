use jacobian_oracle::suite::catalogue;
use jacobian_oracle::strategy::layer_case;
use jacobian_oracle::Oracle;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
fn main() {
    let n: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let oracle = Oracle::default();
    for e in catalogue() {
        let mut runner = TestRunner::deterministic();
        let mut worst = (0.0, None);
        let mut fails = 0;
        let mut hist = [0usize; 6];
        for _ in 0..n {
            let case = layer_case().new_tree(&mut runner).unwrap().current();
            match e.check(&oracle, &case) {
                Ok(a) => { if let Some(fd) = a.worst_fd { let r = fd.ratio(); let b = if r < 0.25 {0} else if r < 0.5 {1} else if r < 1.0 {2} else if r < 2.0 {3} else if r < 3.0 {4} else {5}; hist[b]+=1; if r > worst.0 { worst = (r, Some((case, a))); } } }
                Err(err) => { fails += 1; if fails < 2 { println!("{} FAIL {}", e.name, err); } }
            }
        }
        println!("{}: fails {fails}, worst fd ratio {:.4} hist(<.25,<.5,<1,<2,<3,>=3) {:?}", e.name, worst.0, hist);
        if let Some((case, a)) = worst.1 { println!("  {case:?}\n  {a}"); }
    }
}
