package org.margincall.engine.domain;

import java.util.List;

/**
 * Many sub-accounts laid out back to back in two flat arrays, for evaluating a whole page of
 * accounts after a price move (the sweep, a hot instrument's holders) without chasing one small
 * object per account: the kernel then streams through memory (exchange-core style).
 */
public final class MarginBook {
    private final SubAccount[] subs;
    private final LevelBands[] bands;
    private final int[] refStart;
    private final int[] numStart;
    private final int[] ref;
    private final double[] num;

    public MarginBook(List<SubAccount> subAccounts) {
        subs = subAccounts.toArray(new SubAccount[0]);
        bands = new LevelBands[subs.length];
        refStart = new int[subs.length];
        numStart = new int[subs.length];
        int refs = 0;
        int nums = 0;
        for (int i = 0; i < subs.length; i++) {
            bands[i] = subs[i].bands;
            refStart[i] = refs;
            numStart[i] = nums;
            refs += subs[i].ref.length;
            nums += subs[i].num.length;
        }
        ref = new int[refs];
        num = new double[nums];
        for (int i = 0; i < subs.length; i++) {
            System.arraycopy(subs[i].ref, 0, ref, refStart[i], subs[i].ref.length);
            System.arraycopy(subs[i].num, 0, num, numStart[i], subs[i].num.length);
        }
    }

    public int size() {
        return subs.length;
    }

    public SubAccount subAccount(int i) {
        return subs[i];
    }

    /**
     * Writes into {@code out[i]} the level of sub-account {@code i} given its stored level
     * {@code stored[i]}, exactly as {@link MarginKernel#evaluate} would. Every mark must be present.
     */
    public void levels(Marks marks, Level[] stored, Level[] out) {
        double[] acc = new double[MarginKernel.SCRATCH];
        for (int i = 0; i < subs.length; i++) {
            out[i] = MarginKernel.level(ref, refStart[i], num, numStart[i], subs[i], bands[i], marks, stored[i], acc);
        }
    }
}
