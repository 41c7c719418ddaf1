use jacobian_oracle::catalogue::SigmoidNeuronWeights;
use jacobian_oracle::fd::{self, Stencil};
use jacobian_oracle::dual::dual_jacobian;
use jacobian_oracle::VectorFn;
use nalgebra::DVector;
fn main() {
    let x = DVector::from_vec(vec![829701.1711188833, -960307.6143922673, 3359353.017330158, -2444011.479187021, 3000000.0, -2129042.890928237]);
    let w = DVector::from_vec(vec![1e-6, 2.455010138837506e-6, -1e-6, 7.106726042070926e-7, 3.1460443711757426e-6, 1.9993838293870296e-6]);
    let f = SigmoidNeuronWeights::new(x.clone());
    let mut eval = |p: &DVector<f64>| f.eval::<f64>(p);
    let f0 = eval(&w);
    let d = dual_jacobian(&f, &w).unwrap();
    println!("f0 = {:e}, a = {}", f0[0], jacobian_oracle::catalogue::dot(&x, &w));
    for j in [2usize, 4] {
        let noise = fd::noise(&mut eval, &w, j, &f0).unwrap();
        println!("col {j}: dual {:.17e} noise {:e}", d.jacobian[(0,j)], noise[0]);
        let h0 = fd::step(w[j]).unwrap();
        for frac in [1.0, 1.0/8.0, 1.0/64.0, 1.0/512.0, 1.0/4096.0, 1.0/32768.0] {
            let s = Stencil::with_step(&mut eval, &w, j, &f0, h0*frac).unwrap();
            let (r, t) = s.richardson(0);
            println!("  h={:.3e} R={:.17e} trunc={:.3e} gap={:.3e}", s.h, r, t, (r - d.jacobian[(0,j)]).abs());
        }
    }
}
