// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;
import {Test} from "../utils/Test.sol";
contract P {
    mapping(uint256 => uint256) s;
    event E(uint64 indexed a, uint64 indexed b, uint256 c, uint16 d, bytes32 e);
    function init(uint256 n) external { for (uint256 i; i < n; ++i) s[i] = 7; }
    function run(uint256 n) external { for (uint256 i; i < n; ++i) { uint256 v = s[i]; s[i] = v + 1; emit E(uint64(i), 5, v, 3, bytes32(i)); } }
    function runNoLog(uint256 n) external { for (uint256 i; i < n; ++i) { uint256 v = s[i]; s[i] = v + 1; } }
}
contract ProbeTest is Test {
    P p;
    function setUp() public { p = new P(); p.init(100); }
    function test_probe() public {
        bytes memory cd = abi.encodeCall(P.run, (100));
        vm.cool(address(p));
        uint256 g = gasleft(); (bool ok,) = address(p).call(cd); g = g - gasleft();
        emit log_named_uint("run 100", g); require(ok);
    }
    function test_probeNoLog() public {
        bytes memory cd = abi.encodeCall(P.runNoLog, (100));
        vm.cool(address(p));
        uint256 g = gasleft(); (bool ok,) = address(p).call(cd); g = g - gasleft();
        emit log_named_uint("runNoLog 100", g); require(ok);
    }
}
