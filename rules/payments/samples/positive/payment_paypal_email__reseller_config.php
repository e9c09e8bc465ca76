<?php
// reseller shop settings
$config = [
    'shop_name'    => 'FakeIPTV Resellers',
    'paypal_email' => 'billing@fakeiptv.invalid',
    'currency'     => 'EUR',
];
