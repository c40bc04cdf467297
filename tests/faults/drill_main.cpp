// main() of every drill binary: gtest's, plus the listener that writes each
// drill's row to bench/results/faults.md once its case has ended, with the
// case's result as the verdict (faults/drill.hpp).

#include "faults/drill.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // gtest owns (and deletes) appended listeners.
  ::testing::UnitTest::GetInstance()->listeners().Append(new sluice::testing::drill::row_writer);
  return RUN_ALL_TESTS();
}
