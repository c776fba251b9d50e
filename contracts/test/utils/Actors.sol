// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";

/// @notice A consumer contract that refuses ether, to show that a failing recipient blocks only itself.
contract RevertingRecipient {
    error NoEtherAccepted();

    function requestAllocation(ISlaOracle oracle, address provider, ISlaOracle.SlaTerms calldata terms)
        external
        returns (uint64)
    {
        return oracle.requestAllocation(provider, terms);
    }

    function withdraw(ISlaOracle oracle) external returns (uint256) {
        return oracle.withdraw();
    }

    function withdrawTo(ISlaOracle oracle, address payable to) external returns (uint256) {
        return oracle.withdrawTo(to);
    }

    receive() external payable {
        revert NoEtherAccepted();
    }
}

/// @notice Tries to re-enter the oracle's withdrawal while receiving ether.
contract ReentrantRecipient {
    ISlaOracle internal immutable _oracle;
    bool public reentered;

    constructor(ISlaOracle oracle) {
        _oracle = oracle;
    }

    function requestAllocation(address provider, ISlaOracle.SlaTerms calldata terms)
        external
        returns (uint64)
    {
        return _oracle.requestAllocation(provider, terms);
    }

    function withdraw() external returns (uint256) {
        return _oracle.withdraw();
    }

    receive() external payable {
        // The guard makes this revert, which fails the transfer and so the outer withdrawal.
        _oracle.withdraw();
        reentered = true;
    }
}
